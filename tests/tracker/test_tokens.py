"""API tokens from the staff's side: rotation by command and in the admin, keys shown once,
and the migration that hashed the plain tokens of earlier versions."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from tests.factories import AgencyFactory, StaffFactory, UserFactory, token_for
from tracker.models import ApiToken, Role
from tracker.models.tokens import PREFIX_LENGTH

KEY = re.compile(r"trk_[A-Za-z0-9_-]{40}")


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def works(key: str) -> bool:
    return APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


@pytest.mark.django_db
def test_rotate_tokens_for_a_user_revokes_its_tokens_and_prints_a_new_one_once():
    user = UserFactory(username="amal")
    old = [token_for(user), token_for(user)]
    output = run("rotate_tokens", "--user", "amal")
    new = output.strip().splitlines()[-1]
    assert KEY.fullmatch(new) and works(new)
    assert not any(works(key) for key in old)
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=False)
    assert revoked.count() == 2 and {t.revoked_reason for t in revoked} == {"rotated"}
    assert ApiToken.objects.filter(user=user).count() == 3  # the revoked ones are kept


@pytest.mark.django_db
def test_rotate_tokens_for_an_agency_renews_only_members_holding_a_live_token():
    ocha = AgencyFactory(code="OCHA")
    holder = UserFactory(username="ocha-reporter", agency=ocha)
    revoked_holder = UserFactory(username="ocha-gone", agency=ocha, role=Role.VIEWER)
    UserFactory(username="ocha-never", agency=ocha)
    other = UserFactory(username="scd-reporter", agency=AgencyFactory(code="SCD"))
    old, theirs = token_for(holder), token_for(other)
    run("rotate_tokens", "--user", "ocha-gone")
    ApiToken.objects.filter(user=revoked_holder).update(revoked_at="2024-12-01T00:00Z")

    lines = run("rotate_tokens", "--agency", "OCHA").strip().splitlines()
    assert [line.split()[0] for line in lines] == ["ocha-reporter"]
    assert works(lines[0].split()[1]) and not works(old)
    assert works(theirs)
    assert not ApiToken.objects.filter(user__username="ocha-never").exists()


@pytest.mark.django_db
def test_rotate_tokens_names_what_it_cannot_find():
    with pytest.raises(CommandError, match="No user 'ghost'"):
        run("rotate_tokens", "--user", "ghost")
    with pytest.raises(CommandError, match="No agency 'NOPE'"):
        run("rotate_tokens", "--agency", "NOPE")


@pytest.mark.django_db
def test_setup_demo_again_prints_new_tokens_and_revokes_the_last_runs(settings):
    settings.DEBUG = True
    first = KEY.findall(run("setup_demo"))
    second = KEY.findall(run("setup_demo"))
    assert len(first) == len(second) == 3
    assert all(works(key) for key in second) and not any(works(key) for key in first)


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


ADMIN = "/admin/tracker/apitoken/"


@pytest.mark.django_db
def test_the_admin_shows_a_key_when_it_issues_it_and_never_again(staff_client):
    user = UserFactory(username="amal")
    page = staff_client.post(f"{ADMIN}add/", {"user": user.pk})
    assert page.status_code == 200
    (key,) = KEY.findall(page.content.decode())
    assert works(key)
    token = ApiToken.objects.get(user=user)
    for url in (ADMIN, f"{ADMIN}{token.pk}/change/", f"/admin/tracker/user/{user.pk}/change/"):
        shown = staff_client.get(url).content.decode()
        assert token.prefix in shown and key not in shown, url
        assert key[PREFIX_LENGTH:] not in shown


@pytest.mark.django_db
def test_the_admin_rotates_selected_tokens_showing_the_new_keys_once(staff_client):
    user, revoked_user = UserFactory(username="amal"), UserFactory(username="omar")
    old, gone = token_for(user), token_for(revoked_user)
    staff_client.post(ADMIN, {"action": "revoke_tokens", "_selected_action": [
        ApiToken.objects.get(user=revoked_user).pk]})  # fmt: skip
    assert not works(gone)

    selected = list(ApiToken.objects.values_list("pk", flat=True))
    page = staff_client.post(ADMIN, {"action": "rotate_tokens", "_selected_action": selected})
    keys = KEY.findall(page.content.decode())
    assert len(keys) == 1 and works(keys[0]) and not works(old)
    assert ApiToken.objects.get(user=user, revoked_at__isnull=True).prefix == keys[0][:12]
    assert "was revoked: it is not replaced" in page.content.decode()
    assert keys[0] not in staff_client.get(ADMIN).content.decode()
    assert not ApiToken.objects.filter(user=revoked_user, revoked_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_admin_never_deletes_a_token(staff_client):
    user = UserFactory()
    token_for(user)
    token = ApiToken.objects.get(user=user)
    assert staff_client.get(f"{ADMIN}{token.pk}/delete/").status_code == 403
    assert "delete_selected" not in staff_client.get(ADMIN).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_plain_tokens_which_keep_working(settings):
    """Earlier versions kept DRF's plain keys in authtoken_token."""
    user = UserFactory(username="legacy", role=Role.REPORTER)
    plain = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    MigrationExecutor(connection).migrate([("tracker", "0011_desk_report")])
    created = "timestamp with time zone" if connection.vendor == "postgresql" else "datetime"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created {created} "
            "NOT NULL, user_id bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [plain, "2024-11-27 08:00:00", user.pk],
        )
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        token = ApiToken.objects.get(user=user)
        assert (token.prefix, token.created_at.isoformat()) == (
            plain[:12],
            "2024-11-27T08:00:00+00:00",
        )
        days = (token.expires_at - token.created_at).days
        assert days > settings.TOKEN_TTL_DAYS  # counted from the migration, not from 2024
        assert works(plain)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM authtoken_token")
            assert cursor.fetchone()[0] == 0  # no key left readable
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
