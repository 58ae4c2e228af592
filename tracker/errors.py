"""Domain errors. The API's exception handler turns each into a clear 4xx response."""


class StateError(Exception):
    """The object is in the wrong state for this action (editing a verified report...): 409."""


class NotAllowed(Exception):
    """The acting user's role does not allow this action on something it can see: 403."""
