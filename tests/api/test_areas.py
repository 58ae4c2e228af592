"""Areas: listing, filtering, and resolving place names as people write them."""

import pytest

pytestmark = pytest.mark.django_db
URL = "/api/v1/areas/"


def test_area_fields_and_lookup_by_pcode(api, areas):
    area = api.get(f"{URL}ZZ0101/").json()
    assert area == {
        "pcode": "ZZ0101",
        "name_en": areas["district"].name_en,
        "name_ar": areas["district"].name_ar,
        "level": 2,
        "parent": "ZZ01",
    }
    assert api.get(f"{URL}ZZ9999/").status_code == 404


def test_filters_level_parent_and_q(api, areas):
    def pcodes(**params):
        return [a["pcode"] for a in api.get(URL, {"page_size": 1000, **params}).json()["results"]]

    assert pcodes(parent="ZZ01") == ["ZZ0101", "ZZ0102"]
    assert "ZZ01" in pcodes(level=1)
    assert pcodes(q="ZZ010") == ["ZZ0101", "ZZ0102"]
    assert api.get(URL, {"level": 7}).status_code == 400
    assert api.get(URL, {"parent": "nowhere"}).status_code == 400


def resolve(api, name):
    response = api.get(f"{URL}resolve/", {"name": name})
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Kobani", {"SY0206", "SY020600"}),  # Ain Al Arab
        ("Manbij", {"SY0205", "SY020500"}),  # Menbij
        ("Tabqa", {"SY1103", "SY110300"}),  # Ath-Thawrah
        ("الطبقة", {"SY110300"}),
        ("Idlib", {"SY07", "SY0700", "SY070000"}),
        ("Jisr al-Shughur", {"SY0704", "SY070400"}),
    ],
)
def test_resolve_spellings_from_the_news_to_shipped_areas(api, name, expected):
    """Uses the shipped Syrian areas and aliases: resolving them is the feature."""
    assert {candidate["pcode"] for candidate in resolve(api, name)} == expected


def test_resolve_ranks_the_larger_area_first_among_equals(api):
    assert [c["pcode"] for c in resolve(api, "Idleb")] == ["SY07", "SY0700", "SY070000"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Suran", {"SY020405", "SY050101"}), ("Shahba", {"SY1303", "SY130300", "SY020402"})],
)
def test_an_ambiguous_name_returns_every_candidate_with_its_parents(api, name, expected):
    candidates = resolve(api, name)
    assert {c["pcode"] for c in candidates} == expected
    suran_in_aleppo = next(c for c in resolve(api, "Suran") if c["pcode"] == "SY020405")
    assert [p["pcode"] for p in suran_in_aleppo["parents"]] == ["SY0204", "SY02", "SY"]
    assert suran_in_aleppo["parent"] == "SY0204"


def test_resolve_needs_a_name_and_finds_nothing_for_nonsense(api):
    assert api.get(f"{URL}resolve/").status_code == 400
    assert api.get(f"{URL}resolve/", {"name": "x" * 500}).status_code == 400
    assert resolve(api, "Qwxzy") == []
