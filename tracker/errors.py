"""Domain errors. The API's exception handler turns each into a clear 4xx response."""


class StateError(Exception):
    """The object is in the wrong state for this action (editing a rejected report...): 409."""


class Duplicate(StateError):
    """The same statement as one of the agency's pending or verified reports: 409, naming it."""

    def __init__(self, duplicate_of: int):
        self.duplicate_of = duplicate_of
        super().__init__(
            f"The same statement as your report {duplicate_of}: same area, period, cumulative "
            'flag and counts. Send "duplicate": "confirmed" to submit it all the same.'
        )


class Stale(Exception):
    """The report changed since the caller read it (its `If-Match` names an older version): 412."""


class NotAllowed(Exception):
    """The acting user's role does not allow this action on something it can see: 403."""


def error_dict(error) -> dict[str, list[str]]:
    """A Django ValidationError as {field: [messages]}, whole-report problems under
    "non_field_errors" as DRF names them."""
    if not hasattr(error, "error_dict"):
        return {"non_field_errors": list(error.messages)}
    return {
        ("non_field_errors" if name == "__all__" else name): list(messages)
        for name, messages in error.message_dict.items()
    }
