"""`manage.py load_areas`: loading, updating and refusing area files."""

import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tracker.models import Area, AreaAlias

pytestmark = pytest.mark.django_db
HEADER = "level,pcode,name_en,name_ar,parent_pcode,latitude,longitude,population_2004\n"
COUNTRY = """\
0,XK,Kosovo test,,,,,
1,XK01,North,شمال,XK,42.9,20.8,1000
1,XK02,South,جنوب,XK,42.2,20.7,
2,XK0101,North A,,XK01,,,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("load_areas", *map(str, args), stdout=out)
    return out.getvalue()


def test_loads_any_countrys_file_with_aliases_and_twice_changes_nothing(tmp_path):
    areas = write(tmp_path, "areas.csv", HEADER + COUNTRY)
    aliases = write(
        tmp_path, "aliases.csv", "pcode,alias,language\nXK0101,Nordi,en\nXK0101,Nordi,en\n"
    )
    assert "4 created" in load(areas, "--aliases", aliases)
    north_a = Area.objects.get(pcode="XK0101")
    assert (north_a.parent.pcode, north_a.level, north_a.path) == ("XK01", 2, "XK/XK01/XK0101/")
    assert Area.objects.get(pcode="XK01").name_ar == "شمال"
    assert list(north_a.aliases.values_list("alias", flat=True)) == ["Nordi"]

    history_before = Area.history.count()
    out = load(areas, "--aliases", aliases)
    assert "0 created, 0 updated, 4 unchanged; 0 aliases added" in out
    assert Area.history.count() == history_before


def test_moving_an_area_rewrites_the_ancestry_below_it(tmp_path):
    load(write(tmp_path, "areas.csv", HEADER + COUNTRY))
    moved = COUNTRY.replace("2,XK0101,North A,,XK01", "2,XK0101,North A,,XK02")
    assert "1 updated" in load(write(tmp_path, "moved.csv", HEADER + moved))
    assert Area.objects.get(pcode="XK0101").path == "XK/XK02/XK0101/"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (COUNTRY + "2,XK0102,Lost,,XK09,,,\n", "row 6 (XK0102): unknown parent 'XK09'"),
        (COUNTRY + "1,XK02,Again,,XK,,,\n", "row 6: duplicate p-code XK02 (first on row 4)"),
        (COUNTRY + "3,XK010101,Skips,,XK01,,,\n", "parent XK01 is level 1, expected level 2"),
        (COUNTRY + "2,XK0103,Far,,XK01,123,20,\n", "row 6: latitude 123 is outside -90..90"),
        (COUNTRY + "x,XK0104,Bad,,XK01,,,\n", "row 6: level 'x' is not a number"),
    ],
)
def test_bad_files_are_refused_naming_the_row_and_nothing_is_written(tmp_path, body, message):
    before = Area.objects.count()
    with pytest.raises(CommandError) as refused:
        load(write(tmp_path, "areas.csv", HEADER + body))
    assert message in str(refused.value)
    assert Area.objects.count() == before


def test_a_missing_column_is_named(tmp_path):
    path = write(tmp_path, "areas.csv", "level,pcode,name_en\n0,XK,Kosovo\n")
    with pytest.raises(CommandError, match=r"row 1: missing column.*name_ar, parent_pcode"):
        load(path)
    assert not Area.objects.filter(pcode="XK").exists()


def test_an_alias_for_an_unknown_area_is_refused(tmp_path):
    areas = write(tmp_path, "areas.csv", HEADER + COUNTRY)
    aliases = write(tmp_path, "aliases.csv", "pcode,alias,language\nXK77,Nowhere,en\n")
    with pytest.raises(CommandError, match="row 2: unknown p-code 'XK77'"):
        load(areas, "--aliases", aliases)
    assert not AreaAlias.objects.filter(alias="Nowhere").exists()
    assert not Area.objects.filter(pcode="XK").exists()


def test_the_shipped_files_reload_without_change():
    fixtures = Path(settings.BASE_DIR) / "fixtures"
    out = load(fixtures / "syria_areas.csv", "--aliases", fixtures / "syria_area_aliases.csv")
    assert "349 unchanged; 0 aliases added" in out
