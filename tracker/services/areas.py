"""Loading and moving administrative areas."""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction

from tracker.calendar import FIRST_DAY, LAST_DAY
from tracker.models import Area, AreaAlias, User
from tracker.services.figures import figures_mark

AREA_COLUMNS = (
    "level",
    "pcode",
    "name_en",
    "name_ar",
    "parent_pcode",
    "latitude",
    "longitude",
    "population_2004",
)
ALIAS_COLUMNS = ("pcode", "alias", "language")


class AreaImportError(Exception):
    """The files cannot be loaded; `problems` name the file, row and field of each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class AreaRow:
    line: int
    pcode: str
    level: int
    parent_pcode: str
    name_en: str
    name_ar: str
    latitude: Decimal | None
    longitude: Decimal | None
    population: int | None


@dataclass(frozen=True)
class AliasRow:
    line: int
    pcode: str
    alias: str
    language: str


def _read_csv(path: Path, columns: tuple[str, ...], problems: list[str]) -> list[tuple[int, dict]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{path}: cannot be read ({error}).")
        return []
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in columns if column not in (reader.fieldnames or [])]
    if missing:
        problems.append(f"{path}, row 1: missing column(s) {', '.join(missing)}.")
        return []
    rows = []
    for row in reader:
        if None in row or None in row.values():
            problems.append(f"{path}, row {reader.line_num}: wrong number of fields.")
            continue
        rows.append((reader.line_num, {key: (value or "").strip() for key, value in row.items()}))
    return rows


def _number(raw: str, kind: type, where: str, field: str, problems: list[str]):
    if raw == "":
        return None
    try:
        return kind(raw)
    except (ValueError, InvalidOperation):
        problems.append(f"{where}: {field} {raw!r} is not a number.")
        return None


def _area_row(line: int, row: dict, where: str, problems: list[str]) -> AreaRow | None:
    before = len(problems)
    level = _number(row["level"], int, where, "level", problems)
    if level is None or not 0 <= level <= 3:
        problems.append(f"{where}: level must be 0, 1, 2 or 3.")
    for field in ("pcode", "name_en"):
        if not row[field]:
            problems.append(f"{where}: {field} is empty.")
    latitude = _number(row["latitude"], Decimal, where, "latitude", problems)
    longitude = _number(row["longitude"], Decimal, where, "longitude", problems)
    if latitude is not None and not -90 <= latitude <= 90:
        problems.append(f"{where}: latitude {latitude} is outside -90..90.")
    if longitude is not None and not -180 <= longitude <= 180:
        problems.append(f"{where}: longitude {longitude} is outside -180..180.")
    population = _number(row["population_2004"], int, where, "population_2004", problems)
    if len(problems) > before:
        return None
    return AreaRow(
        line=line,
        pcode=row["pcode"],
        level=level,
        parent_pcode=row["parent_pcode"],
        name_en=row["name_en"],
        name_ar=row["name_ar"],
        latitude=latitude,
        longitude=longitude,
        population=population,
    )


def _check_parents(path: Path, rows: list[AreaRow], problems: list[str]) -> None:
    levels = {row.pcode: row.level for row in rows}
    stored = dict(Area.objects.values_list("pcode", "level"))
    for row in rows:
        where = f"{path}, row {row.line} ({row.pcode})"
        if row.level == 0:
            if row.parent_pcode:
                problems.append(f"{where}: a level 0 area has no parent.")
            continue
        parent_level = levels.get(row.parent_pcode, stored.get(row.parent_pcode))
        if not row.parent_pcode:
            problems.append(f"{where}: parent_pcode is empty for a level {row.level} area.")
        elif parent_level is None:
            problems.append(f"{where}: unknown parent {row.parent_pcode!r}.")
        elif parent_level != row.level - 1:
            problems.append(
                f"{where}: parent {row.parent_pcode} is level {parent_level}, "
                f"expected level {row.level - 1}."
            )


def read_area_files(
    areas_path: Path, aliases_path: Path | None = None
) -> tuple[list[AreaRow], list[AliasRow]]:
    """Parse and check area and alias files; raise AreaImportError naming every bad row."""
    problems: list[str] = []
    areas: list[AreaRow] = []
    first_line: dict[str, int] = {}
    for line, row in _read_csv(areas_path, AREA_COLUMNS, problems):
        parsed = _area_row(line, row, f"{areas_path}, row {line}", problems)
        if parsed is None:
            continue
        if parsed.pcode in first_line:
            problems.append(
                f"{areas_path}, row {line}: duplicate p-code {parsed.pcode} "
                f"(first on row {first_line[parsed.pcode]})."
            )
            continue
        first_line[parsed.pcode] = line
        areas.append(parsed)
    _check_parents(areas_path, areas, problems)

    aliases: list[AliasRow] = []
    if aliases_path is not None:
        known = set(first_line) | set(Area.objects.values_list("pcode", flat=True))
        for line, row in _read_csv(aliases_path, ALIAS_COLUMNS, problems):
            where = f"{aliases_path}, row {line}"
            if row["pcode"] not in known:
                problems.append(f"{where}: unknown p-code {row['pcode']!r}.")
            elif not row["alias"]:
                problems.append(f"{where}: alias is empty.")
            else:
                aliases.append(AliasRow(line, row["pcode"], row["alias"], row["language"]))
    if problems:
        raise AreaImportError(problems)
    return areas, aliases


def _area_values(row: AreaRow, parent: Area | None) -> dict:
    return {
        "level": row.level,
        "parent": parent,
        "name_en": row.name_en,
        "name_ar": row.name_ar,
        "latitude": row.latitude,
        "longitude": row.longitude,
        "population": row.population,
    }


@transaction.atomic
def area_import(*, areas: list[AreaRow], aliases: list[AliasRow]) -> dict[str, int]:
    """Create or update areas and add aliases; unchanged rows are left alone. Returns counts."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "aliases_added": 0}
    by_pcode = {area.pcode: area for area in Area.objects.all()}
    for row in sorted(areas, key=lambda row: row.level):
        parent = by_pcode.get(row.parent_pcode) if row.level else None
        values = _area_values(row, parent)
        area = by_pcode.get(row.pcode)
        if area is None:
            area = Area(pcode=row.pcode, **values)
            area_save(area=area)
            by_pcode[row.pcode] = area
            counts["created"] += 1
        elif any(getattr(area, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(area, field, value)
            area_save(area=area)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1

    existing = set(AreaAlias.objects.values_list("area__pcode", "alias"))
    new_aliases = []
    for row in aliases:
        if (row.pcode, row.alias) not in existing:
            existing.add((row.pcode, row.alias))
            new_aliases.append(
                AreaAlias(area=by_pcode[row.pcode], alias=row.alias, language=row.language)
            )
    AreaAlias.objects.bulk_create(new_aliases)
    counts["aliases_added"] = len(new_aliases)
    return counts


@transaction.atomic
def area_move(*, area: Area, parent: Area | None, user: User | None = None) -> Area:
    """Put `area` under `parent`, rewriting the stored ancestry of the area and all below it."""
    area.parent = parent
    return area_save(area=area, user=user)


@transaction.atomic
def area_save(*, area: Area, user: User | None = None) -> Area:
    """Save an area, rewriting the stored ancestry of everything below it if it moved."""
    old_path = area.path
    stored = Area.objects.filter(pk=area.pk) if area.pk else Area.objects.none()
    old_parent = stored.values_list("parent_id", flat=True).first()
    area.path = area.path_under(area.parent)
    area.full_clean()
    area._history_user = user
    area.save()
    if old_path and old_path != area.path:
        for below in Area.objects.filter(path__startswith=old_path).exclude(pk=area.pk):
            below.path = area.path + below.path[len(old_path) :]
            below._history_user = user
            below.save(update_fields=["path"])
        # Its old and new ancestors add up different children now, on every day.
        every_day = (FIRST_DAY, LAST_DAY)
        moved = {(area.pk, None): every_day}
        if old_parent:
            moved[(old_parent, None)] = every_day
        figures_mark(stale=moved)
    return area
