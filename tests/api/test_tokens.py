"""API tokens: stored hashed, refused once expired or revoked, listed and revoked by the
agency's viewers and by staff."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.conftest import client_for
from tests.factories import AgencyFactory, StaffFactory, UserFactory, token_for
from tracker.models import ApiToken, Role
from tracker.services import token_issue, token_revoke

pytestmark = pytest.mark.django_db
URL = "/api/v1/tokens/"


def me(key: str):
    return APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_is_stored_as_a_digest_with_only_its_first_characters_readable(settings):
    user = UserFactory()
    token, key = token_issue(user=user)
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in str(stored.values())
    assert key.startswith(stored["prefix"]) and len(stored["prefix"]) == 12
    ttl = stored["expires_at"] - stored["created_at"]
    assert ttl == timedelta(days=settings.TOKEN_TTL_DAYS)
    assert me(key).json()["username"] == user.username


def test_the_token_user_and_agency_load_in_one_query_and_use_is_noted_once_a_minute():
    user = UserFactory()
    key = token_for(user)
    with CaptureQueriesContext(connection) as first:
        assert me(key).status_code == 200
    auth = [q["sql"] for q in first.captured_queries if "tracker_apitoken" in q["sql"]]
    assert len(auth) == 2  # the lookup (token, user, agency joined) and noting its use
    assert "tracker_agency" in auth[0] and "tracker_user" in auth[0]
    used = ApiToken.objects.get(user=user).last_used_at
    assert timezone.now() - used < timedelta(seconds=30)
    with CaptureQueriesContext(connection) as again:
        assert me(key).status_code == 200
    assert len([q for q in again.captured_queries if "tracker_apitoken" in q["sql"]]) == 1
    assert ApiToken.objects.get(user=user).last_used_at == used


def test_an_expired_token_is_refused_saying_so():
    token, key = token_issue(user=UserFactory())
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=timezone.now() - timedelta(days=91), expires_at=timezone.now()
    )
    response = me(key)
    assert response.status_code == 401
    assert "expired on" in response.json()["detail"]
    assert token.prefix in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_is_refused_saying_so_and_an_unknown_one_is_invalid():
    token, key = token_issue(user=UserFactory())
    token_revoke(token=token, by=None, reason="leaked")
    response = me(key)
    assert response.status_code == 401
    assert "was revoked on" in response.json()["detail"]
    assert me(key[:-1] + "x").json()["detail"] == "Invalid token."


@pytest.fixture
def two_agencies():
    ocha, scd = AgencyFactory(code="OCHA"), AgencyFactory(code="SCD")
    users = {
        "viewer": UserFactory(username="ocha-viewer", agency=ocha, role=Role.VIEWER),
        "reporter": UserFactory(username="ocha-reporter", agency=ocha, role=Role.REPORTER),
        "verifier": UserFactory(username="ocha-verifier", agency=ocha, role=Role.VERIFIER),
        "other": UserFactory(username="scd-reporter", agency=scd, role=Role.REPORTER),
    }
    keys = {name: token_for(user) for name, user in users.items()}
    return users, keys


def test_a_viewer_lists_its_agency_tokens_without_keys(two_agencies):
    users, keys = two_agencies
    response = client_for(users["viewer"]).get(URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["user"] for row in rows} == {"ocha-viewer", "ocha-reporter", "ocha-verifier"}
    reporter_row = next(row for row in rows if row["user"] == "ocha-reporter")
    assert keys["reporter"].startswith(reporter_row["prefix"])
    assert reporter_row["agency"] == "OCHA" and reporter_row["status"] == "active"
    assert set(reporter_row) == {
        "id", "prefix", "user", "agency", "status", "created_at", "expires_at",
        "last_used_at", "revoked_at", "revoked_by", "revoked_reason",
    }  # fmt: skip
    assert not any(key in response.content.decode() for key in keys.values())


def test_a_viewer_revokes_a_token_which_then_stops_working_and_stays_listed(two_agencies):
    users, keys = two_agencies
    viewer = client_for(users["viewer"])
    reporter_token = ApiToken.objects.get(user=users["reporter"])
    assert me(keys["reporter"]).status_code == 200
    assert viewer.delete(f"{URL}{reporter_token.pk}/").status_code == 204
    assert viewer.delete(f"{URL}{reporter_token.pk}/").status_code == 204  # and again
    assert me(keys["reporter"]).status_code == 401
    row = viewer.get(f"{URL}{reporter_token.pk}/").json()
    assert row["status"] == "revoked" and row["revoked_by"] == "ocha-viewer"
    assert row["revoked_reason"] == "revoked through the API"
    assert viewer.get(URL, {"status": "revoked"}).json()["count"] == 1
    # the viewer's two (the fixture's, the client's) and the verifier's
    assert viewer.get(URL, {"status": "active"}).json()["count"] == 3


def test_another_agencys_token_is_hidden_and_untouched(two_agencies):
    users, keys = two_agencies
    theirs = ApiToken.objects.get(user=users["other"])
    viewer = client_for(users["viewer"])
    assert viewer.get(f"{URL}{theirs.pk}/").status_code == 404
    assert viewer.delete(f"{URL}{theirs.pk}/").status_code == 404
    assert me(keys["other"]).status_code == 200


@pytest.mark.parametrize("role", ["reporter", "verifier"])
def test_other_roles_may_not_manage_tokens(two_agencies, role):
    users, keys = two_agencies
    viewer_token = ApiToken.objects.filter(user=users["viewer"]).first()
    client = client_for(users[role])
    listing = client.get(URL)
    assert listing.status_code == 403
    assert "viewers and staff" in listing.json()["detail"]
    assert client.delete(f"{URL}{viewer_token.pk}/").status_code == 403
    assert me(keys["viewer"]).status_code == 200


def test_staff_see_and_revoke_every_agencys_tokens(client, two_agencies):
    users, keys = two_agencies
    client.force_login(StaffFactory())
    assert client.get(URL).json()["count"] == 4
    assert client.get(URL, {"agency": "SCD"}).json()["count"] == 1
    assert client.get(URL, {"user": "ocha-verifier"}).json()["count"] == 1
    theirs = ApiToken.objects.get(user=users["other"])
    assert client.delete(f"{URL}{theirs.pk}/").status_code == 204
    assert me(keys["other"]).status_code == 401


def test_bad_filters_are_400s_naming_the_field(two_agencies):
    users, _ = two_agencies
    viewer = client_for(users["viewer"])
    assert "status" in viewer.get(URL, {"status": "lost"}).json()
    assert "agency" in viewer.get(URL, {"agency": "NOPE"}).json()
    assert viewer.get(f"{URL}abc/").status_code == 404


def test_the_schema_declares_the_token_endpoints_and_their_errors():
    answer = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = json.loads(answer.content)
    listing, one = schema["paths"]["/api/v1/tokens/"], schema["paths"]["/api/v1/tokens/{id}/"]
    assert {"200", "400", "401", "403"} <= set(listing["get"]["responses"])
    assert {"204", "401", "403", "404"} <= set(one["delete"]["responses"])
    assert "key" not in schema["components"]["schemas"]["Token"]["properties"]
