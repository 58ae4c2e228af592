"""Staff logins through the admin's login page are locked out after LOGIN_FAILURE_LIMIT failures,
even with the right password, until the cool-off ends or a staff administrator lifts it."""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
PASSWORD = "staff-password"  # StaffFactory's


def log_in(client: Client, username: str, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def fail_until_locked(client: Client, username: str, limit: int) -> None:
    for attempt in range(1, limit):
        page = log_in(client, username, "wrong")
        assert page.status_code == 200 and b"Please enter the correct" in page.content, attempt
    locked = log_in(client, username, "wrong")
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content


def test_repeated_failures_lock_a_staff_login_until_the_cool_off_ends(settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    StaffFactory(username="rania")
    client = Client()
    fail_until_locked(client, "rania", settings.LOGIN_FAILURE_LIMIT)

    refused = log_in(client, "rania", PASSWORD)
    assert refused.status_code == 429
    assert b"even with the right password" in refused.content
    assert not logged_in(client)

    time.sleep(1.2)
    assert log_in(client, "rania", PASSWORD).status_code == 302
    assert logged_in(client)


def test_the_lockout_holds_for_its_cool_off_and_spares_other_logins(settings):
    StaffFactory(username="rania"), StaffFactory(username="karim")
    fail_until_locked(Client(), "rania", settings.LOGIN_FAILURE_LIMIT)
    time.sleep(1.2)
    assert log_in(Client(), "rania", PASSWORD).status_code == 429  # 15 minutes by default
    other = Client()
    assert log_in(other, "karim", PASSWORD).status_code == 302
    assert logged_in(other)


def test_staff_lift_a_lockout_with_the_reset_command(settings):
    StaffFactory(username="rania")
    fail_until_locked(Client(), "rania", settings.LOGIN_FAILURE_LIMIT)
    call_command("axes_reset_username", "rania", stdout=None)
    client = Client()
    assert log_in(client, "rania", PASSWORD).status_code == 302
    assert logged_in(client)


def test_a_successful_login_clears_earlier_failures(settings):
    StaffFactory(username="rania")
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        log_in(client, "rania", "wrong")
    assert log_in(client, "rania", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert log_in(client, "rania", "wrong").status_code == 200
    assert log_in(client, "rania", PASSWORD).status_code == 302
