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
