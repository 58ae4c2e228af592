"""What the published OpenAPI schema says beyond drf-spectacular's reading of the views: every
error an operation can answer, with its body and headers; the headers of every answer; and the
fields of an answer that some callers are not shown.

The schemathesis run (tests/api/test_schemathesis.py) holds every answer to this schema.
"""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated

JSON = "application/json"
MESSAGES = {"type": "array", "items": {"type": "string"}}


class ErrorSerializer(serializers.Serializer):
    """What went wrong, in a sentence."""

    detail = serializers.CharField()


class ConflictSerializer(ErrorSerializer):
    """The report is in the wrong state, the same statement was already reported, or the same
    `Idempotency-Key`'s first request is still running."""

    duplicate_of = serializers.IntegerField(
        required=False, help_text="The id of your report that made the same statement."
    )


class FieldErrorsSerializer(serializers.Serializer):
    """`{field: [messages]}` naming each field, query parameter or header at fault; problems of
    the input as a whole under `non_field_errors`, or `body` when it could not be read."""


class FieldErrorsExtension(OpenApiSerializerExtension):
    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema, direction):
        return {"type": "object", "description": FieldErrorsSerializer.__doc__,
                "additionalProperties": MESSAGES}  # fmt: skip


class RowErrorsSerializer(serializers.Serializer):
    """One rejected row's `{field: [messages]}`, with `duplicate_of` when it repeats a statement."""


class RowErrorsExtension(OpenApiSerializerExtension):
    target_class = RowErrorsSerializer

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": RowErrorsSerializer.__doc__,
            "properties": {"duplicate_of": {"type": "integer"}},
            "additionalProperties": MESSAGES,
        }


def error(description: str, body=ErrorSerializer) -> OpenApiResponse:
    return OpenApiResponse(body, description=description)


INVALID = error("Invalid input: `{field: [messages]}`", FieldErrorsSerializer)
UNAUTHENTICATED = error("No token, or a bad one")
FORBIDDEN = error("Your role does not allow this")
NOT_FOUND = error("No such resource, or not yours to see; or no such page")
NOT_ACCEPTABLE = error("None of the formats this operation answers in is acceptable (`Accept`)")
IN_FLIGHT = error("The same `Idempotency-Key`'s first request is still running", ConflictSerializer)
STALE = error("The report changed since you read it (a stale `If-Match`)")
TOO_LARGE = error("The body is over MAX_BODY_BYTES")
UNSUPPORTED = error("A body in a `Content-Type` this operation does not read")
KEY_REUSED = error("This `Idempotency-Key` was used with a different body")
RATE_LIMITED = error("Over API_RATE_LIMIT: retry after `Retry-After` seconds")
UNAVAILABLE = error("The database is unavailable: retry after `Retry-After` seconds")

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Makes the POST safe to retry: the same key and body replay the first answer.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag from GET; a stale one answers 412.",
)


def response_header(name: str, description: str, codes=True, required=False) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        description=description,
        required=required,
        response=codes,
    )


ETAG = response_header("ETag", "The report's version, for `If-Match`.", [200, 201])
REPLAYED = response_header(
    "Idempotent-Replayed", '"true" on the first answer to this `Idempotency-Key`, sent again.'
)
EVERY_ANSWER_HEADERS = [
    response_header("X-Request-ID", "This request's id, as its log lines carry it.", required=True),
    response_header("Retry-After", "Seconds to wait before retrying.", [429, 503], required=True),
    response_header("WWW-Authenticate", "How to authenticate: `Token`.", [401], required=True),
]


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, declaring every error an operation can answer (those the view does not
    declare itself) and the headers every answer carries."""

    def get_override_parameters(self):
        parameters = [*super().get_override_parameters(), *EVERY_ANSWER_HEADERS]
        if self._is_idempotent():
            parameters += [IDEMPOTENCY_KEY, REPLAYED]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, answer in self._errors().items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(answer, str(code), [JSON])
        return dict(sorted(responses.items()))

    def _map_basic_serializer(self, serializer, direction):
        """A serializer's `sometimes_withheld` fields, left out for some callers, are optional."""
        schema = super()._map_basic_serializer(serializer, direction)
        withheld = set(getattr(serializer, "sometimes_withheld", ()))
        if withheld and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in withheld]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _is_idempotent(self) -> bool:
        from api.idempotency import IdempotentMixin

        return self.method == "POST" and isinstance(self.view, IdempotentMixin)

    def _errors(self) -> dict[int, OpenApiResponse]:
        """The errors this operation can answer, by what the view is."""
        errors = {400: INVALID, 406: NOT_ACCEPTABLE, 429: RATE_LIMITED, 503: UNAVAILABLE}
        if self.view.authentication_classes:  # a token or session to refuse
            errors[401] = UNAUTHENTICATED
        plain = (AllowAny, IsAuthenticated)
        if self.method not in ("GET", "HEAD") or any(
            not isinstance(permission, plain) for permission in self.view.get_permissions()
        ):
            errors[403] = FORBIDDEN  # a role, or a session without its CSRF token
        if "{" in self.path or (self._get_paginator() is not None and self._is_list_view()):
            errors[404] = NOT_FOUND
        if self.method in ("POST", "PUT", "PATCH"):
            errors[413] = TOO_LARGE
            if self._get_request_body():
                errors[415] = UNSUPPORTED
        if self._is_idempotent():
            errors |= {409: IN_FLIGHT, 422: KEY_REUSED}
        return errors
