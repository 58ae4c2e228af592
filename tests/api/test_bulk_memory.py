"""A 64 MB bulk upload keeps a gunicorn worker under 500 MB (its peak resident memory): rows are
read one at a time, never as a list of 200,000 dicts. A 60 MB body of `[{},{},...]` once took a
worker to 1.46 GB before the row limit refused it."""

import json
import os
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.conftest import redis_is_up, require
from tests.factories import AreaFactory, UserFactory, token_for
from tests.faults.conftest import start_web  # noqa: F401  (gunicorn, a fixture)
from tracker.models import ImportJob, Role

pytestmark = [pytest.mark.slow, pytest.mark.services]
URL = "/api/v1/reports/bulk/"
LIMIT_MB = 500


def peak_mb(port: int) -> float:
    """The largest peak resident memory (VmHWM) of the gunicorn processes on `port`."""
    peaks = [0.0]
    for process in Path("/proc").iterdir():
        try:
            command = (process / "cmdline").read_bytes()
            if b"gunicorn" not in command or f"127.0.0.1:{port}".encode() not in command:
                continue
            status = (process / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def post(web, token: str, body: bytes, content_type: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        web.url + URL, data=body, method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": content_type},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def filled(size: int, rows: int, row) -> bytes:
    """`rows` rows made by row(n, padding) whose notes pad the whole to just under `size`."""
    bare = len(b"".join(row(n, "") for n in range(rows)))
    padding = "x" * ((size - bare - 100) // rows)
    return b"".join(row(n, padding) for n in range(rows))


def test_a_64_mb_upload_keeps_the_web_worker_under_500_mb(start_web):  # noqa: F811
    broker = os.environ.get("REDIS_URL")
    require(
        "Redis (set REDIS_URL): jobs are queued, not run in the web process", redis_is_up(broker)
    )
    AreaFactory(pcode="ZZ0101")
    token = token_for(UserFactory(role=Role.REPORTER))
    web = start_web(redis_url=broker, workers=1)
    port = urlsplit(web.url).port
    size = settings.MAX_BODY_BYTES
    rows = 200_000
    peaks = {"idle": peak_mb(port)}

    empties = b"[" + b"{}," * ((size - 3) // 3) + b"{}]"
    status, answer = post(web, token, empties, "application/json")
    assert (status, list(answer)) == (400, ["rows"]), answer
    peaks["[{},{},...]"] = peak_mb(port)

    def json_row(n: int, notes: str) -> bytes:
        cells = {"area": "ZZ0101", "period_start": "2024-11-27", "killed": n % 50,
                 "external_id": f"M-{n}", "notes": notes}  # fmt: skip
        return (
            (b"[" if n == 0 else b",")
            + json.dumps(cells).encode()
            + (b"]" if n == rows - 1 else b"")
        )

    body = filled(size, rows, json_row)
    assert size - 400_000 < len(body) <= size
    status, answer = post(web, token, body, "application/json")
    assert (status, answer["status"], answer["rows"]) == (202, "queued", rows), answer
    peaks["JSON"] = peak_mb(port)

    def csv_row(n: int, notes: str) -> bytes:
        header = b"area,period_start,killed,external_id,notes\n" if n == 0 else b""
        return header + f"ZZ0101,2024-11-27,{n % 50},C-{n},{notes}\n".encode()

    body = filled(size, rows, csv_row)
    status, answer = post(web, token, body, "text/csv")
    assert (status, answer["rows"], answer["format"]) == (202, rows, "csv"), answer
    peaks["CSV"] = peak_mb(port)
    print(f"gunicorn worker's peak resident memory, MB: {peaks}")
    assert max(peaks.values()) < LIMIT_MB, peaks
    assert ImportJob.objects.count() == 2
