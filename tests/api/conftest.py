import pytest
from rest_framework.test import APIClient

from tests.factories import AgencyFactory, AreaFactory, UserFactory, token_for
from tracker.models import Role


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@pytest.fixture
def agency():
    return AgencyFactory(code="OCHA")


@pytest.fixture
def other_agency():
    return AgencyFactory(code="SCD")


@pytest.fixture
def reporter(agency):
    return UserFactory(username="reporter", agency=agency, role=Role.REPORTER)


@pytest.fixture
def api(reporter):
    """A reporter of agency OCHA, authenticated."""
    return client_for(reporter)


@pytest.fixture
def verifier_api(agency):
    return client_for(UserFactory(username="verifier", agency=agency, role=Role.VERIFIER))


@pytest.fixture
def areas():
    """A small hierarchy of test areas: country ZZ, governorate, two districts."""
    country = AreaFactory(pcode="ZZ")
    governorate = AreaFactory(pcode="ZZ01", parent=country)
    return {
        "country": country,
        "governorate": governorate,
        "district": AreaFactory(pcode="ZZ0101", parent=governorate),
        "other_district": AreaFactory(pcode="ZZ0102", parent=governorate),
    }


@pytest.fixture
def in_process_calls():
    """Lets requests sent through the WSGI app in-process (schemathesis' calls) use the test's
    database connection and transaction, as Django's own test client does."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
