"""Bodies sent chunked (`Transfer-Encoding: chunked`, no `Content-Length`), as streaming clients
and some proxies send them, through a real gunicorn: read whole, and refused (413) past
MAX_BODY_BYTES as a declared length is. They were read as empty."""

import http.client
import json
from urllib.parse import urlsplit

import pytest

from tests.factories import AreaFactory, UserFactory, token_for
from tracker.models import Report, Role

pytestmark = pytest.mark.slow


def chunked(web, path: str, token: str, pieces: list[bytes], content_type: str):
    where = urlsplit(web.url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    try:
        connection.request("POST", path, body=iter(pieces), encode_chunked=True,
                           headers={"Authorization": f"Token {token}",
                                    "Content-Type": content_type})  # fmt: skip
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def test_chunked_bodies_are_read_whole(start_web):
    district = AreaFactory(parent=AreaFactory(parent=AreaFactory()))
    token = token_for(UserFactory(role=Role.REPORTER))
    web = start_web(redis_url=None, env={"MAX_BODY_BYTES": "4000"})

    report = json.dumps({"area": district.pcode, "period_start": "2024-11-28", "killed": 7})
    pieces = [report[i : i + 10].encode() for i in range(0, len(report), 10)]
    status, body = chunked(web, "/api/v1/reports/", token, pieces, "application/json")
    assert status == 201, body
    assert Report.objects.get(pk=body["id"]).killed == 7

    csv = "area,period_start,displaced\n" + "".join(
        f"{district.pcode},2024-11-{day},{count}\n" for day, count in ((27, 40), (26, 9))
    )
    status, body = chunked(web, "/api/v1/reports/bulk/", token, [csv.encode()], "text/csv")
    assert (status, body["created"]) == (200, 2), body

    status, body = chunked(web, "/api/v1/reports/bulk/", token, [b"[" + b" " * 5000 + b"]"],
                           "application/json")  # fmt: skip
    assert status == 413, body
    assert Report.objects.count() == 3
