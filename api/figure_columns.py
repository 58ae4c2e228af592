"""The columns of a daily figure row beyond the figure itself: where the area is (its own and its
ancestors' codes and names, English and Arabic), and the HXL hashtag of every column.

HDX and the HXL Proxy join on `#country+code` (ISO3) and `#adm1+code`...; they take an export
as it is when the hashtag row is the same whatever levels the rows have, and when each column's
own tag, used as a pattern, selects that column alone. A libhxl pattern matches every column
whose tag has at least the pattern's attributes, so no tag may hold another's attributes and
more: the best estimate carries `+value` beside `+min`, `+max` and `+cumulative`, the totals
`+total` beside the breakdowns' `+children`, English names `+i_en` beside Arabic `+i_ar`, and
the day `+occurred` beside the refresh time's `+updated`.
"""

from functools import cache

import pycountry

from tracker.models.figures import METRICS

LEVELS = {0: "country", 1: "adm1", 2: "adm2", 3: "adm3"}
# Each level's code, English and Arabic name: `country_code` (ISO3), `adm1_code` (p-code), ...
PLACE_COLUMNS = tuple(
    f"{prefix}_{part}" for prefix in LEVELS.values() for part in ("code", "name", "name_ar")
)
NO_PLACE = (None, None, None)

METRIC_TAGS = {
    "displaced": "#affected+displaced",
    "returned": "#affected+returned",
    "killed": "#affected+killed+total",
    "injured": "#affected+injured+total",
    "killed_children": "#affected+killed+children",
    "injured_children": "#affected+injured+children",
}
SUFFIX_TAGS = {"": "+value", "_low": "+min", "_high": "+max", "_cumulative": "+cumulative"}
HXL_TAGS = {
    "area": "#loc+code",
    "area_name": "#loc+name+i_en",
    "area_name_ar": "#loc+name+i_ar",
    "level": "#loc+level",
    **{
        f"{prefix}_{part}": f"#{prefix}+{attributes}"
        for prefix in LEVELS.values()
        for part, attributes in (("code", "code"), ("name", "name+i_en"), ("name_ar", "name+i_ar"))
    },
    "date": "#date+occurred",
    **{
        metric + suffix: METRIC_TAGS[metric] + attribute
        for metric in METRICS
        for suffix, attribute in SUFFIX_TAGS.items()
    },
    "report_count": "#meta+reports+verified",
    "agency_count": "#meta+agencies",
    "pending_reports": "#meta+reports+pending",
    "computed_at": "#date+updated",
    "withheld": "#meta+withheld",
}


def hxl_tags(columns) -> list[str]:
    """The HXL hashtag row: the same for every export, whatever levels its rows have."""
    return [HXL_TAGS[column] for column in columns]


@cache
def iso3(pcode: str) -> str:
    """The ISO 3166 alpha-3 code of a country by its p-code (OCHA's start with ISO alpha-2:
    `SY` is `SYR`); a p-code ISO does not know stays as it is."""
    found = None
    if len(pcode) == 2:
        found = pycountry.countries.get(alpha_2=pcode.upper())
    elif len(pcode) == 3:
        found = pycountry.countries.get(alpha_3=pcode.upper())
    return found.alpha_3 if found else pcode


def place_columns(level: int, chain) -> tuple:
    """PLACE_COLUMNS' values for an area of `level` whose (p-code, English name, Arabic name)
    and its ancestors', nearest first, are `chain`: each level's own, empty below the area."""
    by_level = {level - up: place for up, place in enumerate(chain[: level + 1])}
    values = []
    for number in LEVELS:
        code, name, name_ar = by_level.get(number) or NO_PLACE
        if number == 0 and code is not None:
            code = iso3(code)
        values += (code, name, name_ar)
    return tuple(values)


def area_place_columns(area) -> dict:
    """PLACE_COLUMNS by name for an Area, walking up its parents (a query each: the slow path)."""
    level, chain = area.level, []
    while area is not None:
        chain.append((area.pcode, area.name_en, area.name_ar))
        area = area.parent
    return dict(zip(PLACE_COLUMNS, place_columns(level, chain), strict=True))
