"""The founding scenario's figures for Idleb and Aleppo, worked out by hand from its reports
(fixtures/scenario_nw_syria_2024.json) and DESIGN.md's rules. This test uses the shipped areas and
scenario on purpose: they are what it checks."""

import pytest

from tracker.models import DailyFigure
from tracker.services.figures import figures_differences

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(scenario):
    def cell(pcode: str, day: str) -> DailyFigure:
        return DailyFigure.objects.get(area__pcode=pcode, date=day)

    return cell


def test_idleb_governorate(figures):
    # 27 Nov, killed: OCHA's 12 over 26-28 Nov gives 4 a day; below, the White Helmets report 4 in
    # Idleb district and 2 in Ariha: the children's 6 beat the governorate's own 4 (rule 6).
    day = figures("SY07", "2024-11-27")
    assert (day.killed, day.killed_low, day.killed_high) == (6, 6, 10)
    # 28 Nov: in Idleb district the White Helmets say 3 and SRC 5 (rule 5: value 5, low 3,
    # high 8); the governorate's own 4 is the larger low, and high adds both: 4 + 8.
    day = figures("SY07", "2024-11-28")
    assert (day.killed, day.killed_low, day.killed_high) == (5, 4, 12)
    assert (day.report_count, day.agency_count) == (7, 3)
    # OCHA's cumulative 14,000 as of 28 Nov spreads 4667, 4667, 4666 (rule 3); SRC's 2,450 a day
    # in Idleb district is less.
    assert day.displaced == 4666
    # 30 Nov: OCHA's next 34,500 over 29 Nov-1 Dec is 11,500 a day; SRC's 3,267 in Ariha is less.
    assert figures("SY07", "2024-11-30").displaced == 11500
    # Killed so far (rule 7): OCHA's report over 26-28 Nov joins those days into one stretch; its
    # largest account is OCHA's own 12, more than what the districts grew by, 11 (Idleb district
    # 4 on 27 Nov and 5 on 28 Nov, where SRC's 5 and the White Helmets' 3 are not added; Ariha 2).
    assert figures("SY07", "2024-11-28").killed_cumulative == 12
    # 1 Dec is a stretch of its own (nothing joins it to 28 Nov): the White Helmets' 8 adds up.
    assert figures("SY07", "2024-12-01").killed_cumulative == 20
    # 4 Dec: OCHA's running total, 115,000, is larger than the districts' 7,350 + 9,800.
    day = figures("SY07", "2024-12-04")
    assert (day.displaced_cumulative, day.killed, day.killed_cumulative) == (115000, None, 20)
    # 2 Dec: the White Helmets' report of that day still waits for verification.
    assert figures("SY07", "2024-12-02").pending_reports == 1


def test_aleppo_governorate(figures):
    # Only Jebel Saman reports: SRC's 6,500 displaced over 27-29 Nov (2167, 2167, 2166) and the
    # White Helmets' 3 killed on 28 Nov.
    day = figures("SY02", "2024-11-28")
    assert (day.displaced, day.killed, day.killed_low, day.killed_high) == (2167, 3, 3, 3)
    assert figures("SY02", "2024-11-29").displaced_cumulative == 6500
    assert sorted(
        DailyFigure.objects.filter(area__pcode="SY02").values_list("date", flat=True)
    ) == [
        figures("SY02", day).date for day in ("2024-11-27", "2024-11-28", "2024-11-29")
    ]  # the pending returns of 3-5 Dec make no row


def test_the_country_does_not_add_up_overlapping_counts(figures):
    # SNHR's 149 over 27 Nov-3 Dec is 21 on 28 Nov; Idleb's 5 and Aleppo's 3 are less; high adds
    # SNHR's 21 to the governorates' highs, 12 + 3.
    day = figures("SY", "2024-11-28")
    assert (day.killed, day.killed_low, day.killed_high) == (21, 21, 36)
    # SNHR's report over 27 Nov-3 Dec joins every day into one stretch, and its 149 is the
    # largest account: by 3 Dec 149, not the 23 of Idleb's 20 and Aleppo's 3.
    assert figures("SY", "2024-12-03").killed_cumulative == 149
    assert figures_differences() == 0


def test_explain_shows_how_idleb_killed_on_28_november_was_made(figures):
    from rest_framework.test import APIClient

    from tests.factories import UserFactory

    client = APIClient()
    client.force_authenticate(UserFactory())
    response = client.get("/api/v1/figures/daily/explain/", {"area": "SY07", "date": "2024-11-28"})
    killed = response.json()["metrics"]["killed"]
    assert killed["figure"] == {"value": 5, "low": 4, "high": 12, "cumulative": 12}
    assert killed["explained"] == {"value": 5, "low": 4, "high": 12}
    stretch = killed["cumulative"]
    assert stretch["stretch"] == {"first_day": "2024-11-26", "last_day": "2024-11-28",
                                  "under_way": False}  # fmt: skip
    assert stretch["accounts"] == {
        "OCHA": {"total": 12, "so_far": 12},
        "the areas below": {"total": 11, "so_far": 11},
    }
    assert (stretch["largest"], stretch["cumulative"]) == ("OCHA", 12)
    assert killed["agency_totals"] == {"OCHA": 4}
    assert killed["children_sum"] == {"value": 5, "low": 3, "high": 8}
    assert "sum of the areas below" in killed["rule"]
    (ocha,) = killed["contributions"]
    assert (ocha["reported"], ocha["share_of_day"]) == (12, 4)
    displaced = response.json()["metrics"]["displaced"]
    assert displaced["contributions"][0]["cumulative"] and displaced["own"]["value"] == 4666
