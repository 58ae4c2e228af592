"""What the figures were: `as_of`, the change feed with its tombstones, and releases that are the
same, byte for byte, on every download."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.api.conftest import client_for
from tests.factories import AgencyFactory, UserFactory
from tracker.models import FigureRelease, Role
from tracker.services import release_publish
from tracker.services.figures import figures_refresh

pytestmark = pytest.mark.django_db
URL = "/api/v1/figures/daily/"
CHANGES = "/api/v1/figures/daily/changes/"


@pytest.fixture
def report(api, verifier_api, areas, django_capture_on_commit_callbacks):
    """Submit a report about ZZ0101 on 28 Nov 2024 and verify it; figures refreshed."""

    def submit(client=api, verify=True, **counts):
        with django_capture_on_commit_callbacks(execute=True):
            body = {"area": "ZZ0101", "period_start": "2024-11-28", **counts}
            made = client.post("/api/v1/reports/", body, format="json").json()
            if verify:
                verifier_api.post(f"/api/v1/reports/{made['id']}/verify/")
        return made

    return submit


def killed(client, **params) -> dict:
    rows = client.get(URL, {"area": "ZZ0101", **params}).json()["results"]
    return {row["date"]: (row["killed"], row["killed_high"]) for row in rows}


def download(client, **params) -> bytes:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_as_of_answers_what_the_figures_were_before_and_after_a_change(api, report):
    before_any = timezone.now()
    report(killed=3)
    first = timezone.now()
    other = client_for(UserFactory(agency=AgencyFactory(code="SCD"), role=Role.REPORTER))
    report(client=other, killed=5)
    second = timezone.now()

    assert killed(api) == {"2024-11-28": (5, 8)}
    assert killed(api, as_of=first.isoformat()) == {"2024-11-28": (3, 3)}
    assert killed(api, as_of=second.isoformat()) == {"2024-11-28": (5, 8)}
    assert killed(api, as_of=before_any.isoformat()) == {}  # nothing was published yet
    for export in ("csv", "hxl"):
        text = download(api, area="ZZ0101", as_of=first.isoformat(), format=export).decode()
        header, *rows = csv.reader(io.StringIO(text))
        (row,) = rows[1:] if export == "hxl" else rows  # HXL: the tag row first
        assert dict(zip(header, row, strict=True))["killed_high"] == "3"


def test_a_bad_or_future_as_of_is_a_400_naming_it(api, areas):
    for value in (
        "yesterday",
        "2024-13-01T00:00",
        (timezone.now() + timedelta(hours=1)).isoformat(),
    ):
        response = api.get(URL, {"as_of": value})
        assert response.status_code == 400 and "as_of" in response.json(), value


def test_the_change_feed_lists_every_change_and_removals_as_tombstones(api, verifier_api, report):
    made = report(killed=3)
    report(verify=False, area="ZZ0102", displaced=7)  # pending: only a pending count changes
    withdrawn_at = timezone.now()
    verifier_api.delete(f"/api/v1/reports/{made['id']}/?reason=counted twice")
    figures_refresh()  # as the worker would, once the withdrawal commits

    changes, url, pages = [], CHANGES + "?page_size=2", 0
    while True:
        page = api.get(url).json()
        pages += 1
        if not page["results"]:
            break
        changes += page["results"]
        url = page["next"]
    assert pages >= 3  # followed through several pages
    assert api.get(url).json() == {"next": page["next"], "results": []}  # nothing new: same next
    district = [c for c in changes if (c["area"], c["date"]) == ("ZZ0101", "2024-11-28")]
    assert [(c["removed"], c["killed"]) for c in district] == [(False, 3), (True, None)]
    assert {c["area"] for c in changes if c["removed"]} == {"ZZ0101", "ZZ01", "ZZ"}
    assert killed(api, as_of=withdrawn_at.isoformat()) == {"2024-11-28": (3, 3)}
    assert killed(api) == {}


def test_the_change_feed_refuses_a_cursor_it_did_not_give(api, areas):
    for cursor in ("nonsense", "Zmlnd", "ZmlndXJlczotMQ"):
        response = api.get(CHANGES, {"cursor": cursor})
        assert response.status_code == 400 and "cursor" in response.json()
    assert api.get(CHANGES, {"since": "1"}).status_code == 400


@pytest.mark.parametrize("export", ["json", "csv", "hxl"])
def test_a_release_is_the_same_byte_for_byte_after_the_figures_change(api, report, export):
    report(killed=3)
    release = release_publish(name=f"Flash update 1 ({export})", user=None)
    published = download(api, release=release.pk, format=export)
    other = client_for(UserFactory(agency=AgencyFactory(code="SCD"), role=Role.REPORTER))
    report(client=other, killed=5)
    report(area="ZZ0102", killed=1)

    assert download(api, release=release.pk, format=export) == published
    assert download(api, as_of=release.as_of.isoformat(), format=export) == published
    assert download(api, format=export) != published  # the figures did change
    assert b"ZZ0102" not in published


def test_releases_are_listed_and_a_bad_release_is_a_400(api, report):
    report(killed=3)
    call_command("publish_release", "Flash update 2", "--notes", "For OCHA's flash update.")
    listed = api.get("/api/v1/figures/releases/").json()["results"]
    assert [(r["name"], r["notes"], r["created_by"]) for r in listed] == [
        ("Flash update 2", "For OCHA's flash update.", None)
    ]
    release_id = listed[0]["id"]
    assert api.get(f"/api/v1/figures/releases/{release_id}/").json()["name"] == "Flash update 2"
    assert killed(api, release=release_id) == {"2024-11-28": (3, 3)}
    for params in (
        {"release": 999999},
        {"release": "x"},
        {"release": release_id, "as_of": timezone.now().isoformat()},
    ):
        response = api.get(URL, params)
        assert response.status_code == 400 and "release" in response.json()
    with pytest.raises(CommandError, match="name"):
        call_command("publish_release", "Flash update 2")
    assert FigureRelease.objects.count() == 1
