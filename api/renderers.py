"""The formats answers come in, and how a request chooses one: `format=` where an operation
answers in several (the figures export), else `Accept`."""

import re

from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_surrogates(data):
    """`data` with each lone surrogate in its text (keys too) replaced by U+FFFD."""
    if isinstance(data, str):
        return LONE_SURROGATE.sub("\ufffd", data)
    if isinstance(data, dict):
        return {replace_surrogates(key): replace_surrogates(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [replace_surrogates(value) for value in data]
    return data


class SafeJSONRenderer(JSONRenderer):
    """UTF-8 JSON. A message echoing a lone surrogate that the client sent (JSON may escape one,
    "\\ud800", but it is not text: UTF-8 cannot carry it, and parsers refuse or mangle it) shows
    U+FFFD in its place."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return super().render(replace_surrogates(data), accepted_media_type, renderer_context)


class StreamedRenderer(BaseRenderer):
    """A format that the view streams itself (exports of every row): the renderer only names it
    for content negotiation. The view answers its errors in JSON."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        raise TypeError(f"{self.format} answers are streamed by their view, not rendered")


class CSVRenderer(StreamedRenderer):
    media_type = "text/csv"
    format = "csv"


class HXLRenderer(StreamedRenderer):
    """CSV with HXL's hashtag row. HXL has no media type of its own: `text/csv` with a profile
    parameter asks for it (plain `text/csv` is the CSV)."""

    media_type = "text/csv; profile=hxl"
    format = "hxl"


class ContentNegotiation(DefaultContentNegotiation):
    """`format=` picks among an operation's formats whatever `Accept` says; one it does not have
    is a 400 naming `format` (DRF answers 404). Without it, `Accept` chooses."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if not wanted:
            return super().select_renderer(request, renderers)
        for renderer in renderers:
            if renderer.format == wanted:
                return renderer, renderer.media_type
        formats = ", ".join(dict.fromkeys(renderer.format for renderer in renderers))
        raise ValidationError({"format": [f"Choose one of: {formats}."]})
