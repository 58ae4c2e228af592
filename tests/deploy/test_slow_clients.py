"""Slow or stalled clients cannot starve the service: nginx reads each request whole before
gunicorn sees it, so twenty clients trickling headers or stalling mid-body hold no gunicorn
worker, and a normal client's requests answer at once. Without nginx, two of them are enough
to hold both sync workers (issue 10, point 2)."""

import socket
import time
from urllib.parse import urlsplit

import pytest

from tests.factories import AreaFactory, UserFactory, token_for
from tracker.models import Role

pytestmark = [pytest.mark.slow, pytest.mark.services]
SLOW_CLIENTS = 10  # of each kind
WINDOW_SECONDS = 6  # the normal client's requests, while the slow ones are connected


class SlowClients:
    """Ten connections sending a request's headers a byte every half second, and ten that send
    their headers and the start of a body, then stall."""

    def __init__(self, url: str, token: str):
        address = urlsplit(url)
        self.address = (address.hostname, address.port)
        host = f"Host: {address.netloc}\r\n"
        self.trickle = (f"GET /api/v1/reports/ HTTP/1.1\r\n{host}Authorization: Token {token}\r\n"
                        f"X-Padding: {'x' * 200}\r\n\r\n").encode()  # fmt: skip
        self.stall = (f"POST /api/v1/reports/ HTTP/1.1\r\n{host}Authorization: Token {token}\r\n"
                      "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                      '{"area": ').encode()  # fmt: skip
        self.trickling, self.stalled, self.sent = [], [], 0

    def __enter__(self):
        for _ in range(SLOW_CLIENTS):
            self.trickling.append(socket.create_connection(self.address, timeout=5))
            stalled = socket.create_connection(self.address, timeout=5)
            stalled.sendall(self.stall)
            self.stalled.append(stalled)
        return self

    def trickle_a_byte(self) -> None:
        for sock in self.trickling:
            sock.sendall(self.trickle[self.sent : self.sent + 1])
        self.sent += 1

    def still_connected(self) -> int:
        """How many of the twenty the server has not closed."""
        connected = 0
        for sock in self.trickling + self.stalled:
            sock.setblocking(False)
            try:
                connected += sock.recv(1, socket.MSG_PEEK) != b""
            except BlockingIOError:
                connected += 1  # nothing to read: open, and not answered
            except OSError:
                pass
        return connected

    def __exit__(self, *exc):
        for sock in self.trickling + self.stalled:
            sock.close()


def normal_client(web, slow: SlowClients, token: str, area: str) -> list[float]:
    """Lists and submits reports for WINDOW_SECONDS, trickling the slow clients' bytes between
    its requests; the seconds each request took."""
    seconds, number = [], 0
    until = time.monotonic() + WINDOW_SECONDS
    while time.monotonic() < until:
        slow.trickle_a_byte()
        listing = web.call("GET", "/api/v1/reports/", token)
        number += 1
        report = {"area": area, "period_start": "2024-11-28", "killed": number}
        created = web.call("POST", "/api/v1/reports/", token, report)
        assert (listing.status, created.status) == (200, 201), (listing.body, created.body)
        seconds += [listing.seconds, created.seconds]
        time.sleep(max(0.0, 0.5 - listing.seconds - created.seconds))
    return seconds


@pytest.fixture
def reporter():
    area = AreaFactory(parent=AreaFactory(parent=AreaFactory()))
    return token_for(UserFactory(role=Role.REPORTER)), area.pcode


def test_slow_clients_do_not_starve_gunicorn_behind_nginx(start_web, start_proxy, reporter):
    token, area = reporter
    web = start_web(redis_url=None)  # two sync workers, as few as the report's
    proxy = start_proxy(web)
    # The first report of a fresh database takes about a second, slow clients or not.
    first = {"area": area, "period_start": "2024-11-27", "killed": 1}
    assert proxy.call("POST", "/api/v1/reports/", token, first).status == 201
    for _ in range(4):  # every gunicorn worker loads its code and connects to the database
        proxy.call("GET", "/api/v1/reports/", token)

    with SlowClients(proxy.url, token) as slow:
        time.sleep(1)
        seconds = normal_client(proxy, slow, token, area)
        assert slow.still_connected() == 2 * SLOW_CLIENTS
    print(f"worst of {len(seconds)} requests: {max(seconds):.3f} s")
    assert len(seconds) >= 10
    assert max(seconds) < 1, sorted(seconds)[-5:]


def test_without_nginx_slow_clients_hold_both_gunicorn_workers(start_web, reporter):
    """What nginx protects against: each of gunicorn's sync workers waits on one slow client,
    and a normal request gets no answer until they go."""
    token, _ = reporter
    web = start_web(redis_url=None)
    request = b"GET /api/v1/health/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
    with SlowClients(web.url, token) as slow:
        time.sleep(1)
        slow.trickle_a_byte()
        with socket.create_connection(slow.address, timeout=3) as sock:
            sock.sendall(request)
            with pytest.raises(TimeoutError):
                sock.recv(1)
    with socket.create_connection(slow.address, timeout=10) as sock:
        sock.sendall(request)
        assert sock.recv(12).endswith(b" 200")
