import os
import tempfile

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

SPOOL_BYTES = 1024 * 1024  # a chunked body larger than this waits on disk, not in memory
READ_BYTES = 64 * 1024


class ChunkedBodies:
    """Gives a chunked request body (`Transfer-Encoding: chunked`, no `Content-Length`) its
    length. Django reads CONTENT_LENGTH bytes of a body, and none without it: gunicorn decodes
    chunked bodies, but the API saw them empty. Reads up to one byte over MAX_BODY_BYTES, which
    BodySizeLimitMiddleware then refuses (413) as it does a declared length."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked or environ.get("CONTENT_LENGTH"):
            return self.application(environ, start_response)
        body = tempfile.SpooledTemporaryFile(SPOOL_BYTES)  # noqa: SIM115 (closed by _answer)
        try:
            size = _spool(environ["wsgi.input"], body, settings.MAX_BODY_BYTES + 1)
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = body, str(size)
            response = self.application(environ, start_response)
        except BaseException:
            body.close()
            raise
        return _answer(response, body)


def _spool(stream, body, limit: int) -> int:
    """Copy at most `limit` bytes of `stream` into `body`, rewound; returns how many."""
    size = 0
    while size < limit:
        chunk = stream.read(min(READ_BYTES, limit - size))
        if not chunk:
            break
        body.write(chunk)
        size += len(chunk)
    body.seek(0)
    return size


def _answer(response, body):
    """The response, then the body closed (and the response: Django ends its request there)."""
    try:
        yield from response
    finally:
        try:
            if hasattr(response, "close"):
                response.close()
        finally:
            body.close()


application = ChunkedBodies(get_wsgi_application())
