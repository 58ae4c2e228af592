"""Withdrawing a verified report needs a reason; verifiers reopen a wrongly rejected one."""

import pytest

from tracker.models import Report

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/"


@pytest.fixture
def report(api, verifier_api, areas):
    created = api.post(URL, {"area": "ZZ0101", "period_start": "2024-11-28", "killed": 3})
    verifier_api.post(f"{URL}{created.json()['id']}/verify/")
    return created.json()


@pytest.mark.parametrize("query", ["", "?reason=", "?reason=+++"])
def test_withdrawing_a_verified_report_without_a_reason_is_400(api, report, query):
    response = api.delete(f"{URL}{report['id']}/{query}")
    assert response.status_code == 400 and "reason" in response.json()
    assert Report.objects.get().status == "verified"


def test_a_verifier_withdrawing_a_verified_report_gives_a_reason_too(verifier_api, report):
    assert verifier_api.delete(f"{URL}{report['id']}/").status_code == 400
    assert verifier_api.delete(f"{URL}{report['id']}/?reason=fake").status_code == 204


def test_a_pending_report_is_withdrawn_without_a_reason(api, areas):
    created = api.post(URL, {"area": "ZZ0101", "period_start": "2024-11-28", "killed": 3})
    assert api.delete(f"{URL}{created.json()['id']}/").status_code == 204


def test_verifiers_reopen_a_rejected_report_with_a_reason(api, verifier_api, report):
    url = f"{URL}{report['id']}/"
    verifier_api.post(f"{url}reject/", {"reason": "looked like a copy"}, format="json")
    assert api.post(f"{url}reopen/", {"reason": "x"}, format="json").status_code == 403
    missing = verifier_api.post(f"{url}reopen/", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    reopened = verifier_api.post(f"{url}reopen/", {"reason": "not a copy after all"}, format="json")
    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["status_reason"]) == (
        "pending",
        "not a copy after all",
    )
    again = verifier_api.post(f"{url}reopen/", {"reason": "twice"}, format="json")
    assert again.status_code == 409
    history = Report.objects.get().history.order_by("history_id")
    assert [h.history_change_reason for h in history][-2:] == [
        "rejected: looked like a copy",
        "reopened: not a copy after all",
    ]
    assert verifier_api.post(f"{url}verify/").json()["status"] == "verified"
