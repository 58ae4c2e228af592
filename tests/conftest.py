import os

import pytest

ON_CI = os.environ.get("CI", "").lower() == "true"


def require(service: str, available: bool) -> None:
    """Skip a test whose service is missing on a developer's machine; on CI, fail it."""
    if available:
        return
    message = f"{service} is not available (set the variable that points at it)"
    if ON_CI:
        pytest.fail(f"CI=true: {message}")
    pytest.skip(message)
