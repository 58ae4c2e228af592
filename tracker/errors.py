"""Domain errors. The API's exception handler turns each into a clear 4xx response."""


class StateError(Exception):
    """The object is in the wrong state for this action (editing a verified report...): 409."""


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
