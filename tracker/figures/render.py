"""Every statement the engine runs, as the database receives it (`%s` for parameters).

`python manage.py render_sql` writes them to tracker/figures/rendered/<dialect>/, one file a
variant, and a test fails when a file differs from what the code renders, or when the engine
runs a statement that is not rendered: a change to the SQL shows in a review as a diff of these
files. On SQLite, a refresh's scope lists one row per stale place; the files show one.
"""

from pathlib import Path

from tracker.figures import engine, sql, versions

RENDERED = Path(__file__).parent / "rendered"
DIALECTS = {"postgresql": sql.Dialect(postgresql=True), "sqlite": sql.Dialect(postgresql=False)}
LEVELS = {False: "sub_districts", True: "above_sub_districts"}  # has children
AGENCIES = {True: "one_agency", False: "every_agency"}  # by agency


def refresh_scope(d: sql.Dialect) -> str:
    if d.postgresql:
        return engine.ARRAY_SCOPE
    return engine.values_scope(1)


def _dialect(d: sql.Dialect) -> dict[str, str]:
    rebuild, refresh = engine.LEVEL_SCOPE, refresh_scope(d)
    found = {"explain_shares": sql.own_shares(d, engine.values_scope(1))}
    for children, level in LEVELS.items():
        found[f"rebuild_agencies_{level}"] = sql.insert_agencies(d, rebuild, children, False)
        found[f"rebuild_pending_{level}"] = sql.insert_pending(d, rebuild, children, fresh=True)
        found[f"rebuild_figures_{level}"] = sql.insert_figures(d, rebuild, children, fresh=True)
        for by_agency, agencies in AGENCIES.items():
            statement = sql.insert_agencies(d, refresh, children, by_agency)
            found[f"refresh_agencies_{level}_{agencies}"] = statement
        found[f"refresh_pending_{level}"] = sql.insert_pending(d, refresh, children)
        found[f"refresh_figures_{level}"] = sql.insert_figures(d, refresh, children)
    for by_agency, agencies in AGENCIES.items():
        statement = sql.delete_rows("tracker_agencyfigure", refresh, by_agency)
        found[f"refresh_delete_agencies_{agencies}"] = statement
    for table in ("tracker_pendingfigure", "tracker_dailyfigure"):
        found[f"refresh_delete_{table.removeprefix('tracker_')}"] = sql.delete_rows(table, refresh)
    for name, scope in (("rebuild", engine.EVERY_AREA_SCOPE), ("refresh", refresh)):
        found[f"{name}_versions_insert"] = versions.insert_versions(d, scope)
        found[f"{name}_versions_close"] = versions.close_versions(scope)
    return found


def statements() -> dict[Path, str]:
    """{file: statement} for every variant of every statement, in both dialects."""
    return {
        RENDERED / name / f"{variant}.sql": f"{text.strip()}\n"
        for name, d in DIALECTS.items()
        for variant, text in _dialect(d).items()
    }


def stale_files() -> list[Path]:
    """The rendered files that differ from the code, are missing, or render nothing any more."""
    wanted = statements()
    present = set(RENDERED.glob("*/*.sql"))
    differing = [p for p, text in wanted.items() if not p.exists() or p.read_text() != text]
    return sorted([*differing, *(present - set(wanted))])


def write() -> list[Path]:
    """Write the rendered files anew; returns those that changed."""
    changed = stale_files()
    for path in RENDERED.glob("*/*.sql"):
        path.unlink()
    for path, text in statements().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return changed
