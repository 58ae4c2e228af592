from django.db import models
from django.db.models import F, Q

from tracker.models.areas import Area

# Each metric is reconciled on its own (DESIGN.md, "How reports become daily figures").
METRICS = ("displaced", "returned", "killed", "injured", "killed_children", "injured_children")


class DailyFigure(models.Model):
    """Reconciled counts for one area and one calendar day, computed from verified reports.

    For each metric: `<metric>` is the best estimate (the largest agency total), `<metric>_low` the
    smallest, `<metric>_high` the sum over agencies, `<metric>_cumulative` the running total.
    Columns are 64-bit: sums over agencies and hundreds of areas overflow 32 bits.
    """

    # The unique (area, date) index serves lookups by area: no second index to keep up.
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="daily_figures", db_index=False
    )
    date = models.DateField()
    report_count = models.PositiveIntegerField(default=0)
    agency_count = models.PositiveIntegerField(default=0)
    pending_reports = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["area__pcode", "date"]
        constraints = [
            models.UniqueConstraint(fields=["area", "date"], name="figure_unique_per_area_day"),
        ]

    def __str__(self) -> str:
        return f"{self.area_id and self.area.pcode} {self.date}"


def _add_metric_columns() -> None:
    constraints = DailyFigure._meta.constraints
    for metric in METRICS:
        for suffix in ("", "_low", "_high", "_cumulative"):
            field = models.BigIntegerField(null=True, blank=True)
            DailyFigure.add_to_class(metric + suffix, field)
        growth = models.BigIntegerField(
            null=True,
            blank=True,
            editable=False,
            help_text="How much the cumulative grew since the area's previous row: the engine "
            "adds up the children's to carry rule 7 up the hierarchy.",
        )
        DailyFigure.add_to_class(f"{metric}_growth", growth)
        stretch = models.DateField(
            null=True,
            blank=True,
            editable=False,
            help_text="The first day of the metric's stretch holding this day (rule 7): the days "
            "joined to it by reports about the area or below that cover consecutive days.",
        )
        DailyFigure.add_to_class(f"{metric}_stretch", stretch)
        constraints.append(
            models.CheckConstraint(
                condition=Q(**{f"{metric}__isnull": True})
                | Q(
                    **{
                        f"{metric}_low__lte": F(metric),
                        f"{metric}__lte": F(f"{metric}_high"),
                        f"{metric}_low__gte": 0,
                        f"{metric}_high__isnull": False,
                    }
                ),
                name=f"figure_{metric}_low_value_high",
            )
        )


_add_metric_columns()


class CalendarDay(models.Model):
    """Every day of tracker.calendar (FIRST_DAY to LAST_DAY) with its ordinal, so that SQL can
    count and step through days the same way on SQLite and PostgreSQL (DESIGN.md: "a calendar
    table")."""

    day = models.DateField(primary_key=True)
    n = models.IntegerField(unique=True, help_text="date.toordinal() of the day.")

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return self.day.isoformat()


class AgencyFigure(models.Model):
    """One agency in one area on one day: its own reports' total per metric (rule 4) and whether
    they join the day to the day before (rule 7), or only its presence below the area.

    Derived with the figures. A row exists where the agency's verified reports cover the day in
    the area or below, so a parent's `agency_count` comes from its children's rows instead of
    every report below it. Areas and agencies are never deleted, and the
    engine writes hundreds of thousands of these rows in a rebuild: no foreign-key checks, and
    one index (the key, in this order so that one agency's rows from a day on are together).
    """

    pk = models.CompositePrimaryKey("area", "agency", "date")
    area = models.ForeignKey(
        Area, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    date = models.DateField()
    agency = models.ForeignKey(
        "tracker.Agency",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    reports = models.PositiveIntegerField(help_text="Its verified reports here covering the day.")

    def __str__(self) -> str:
        return f"{self.area_id} {self.date} {self.agency_id}"


for _metric in METRICS:
    AgencyFigure.add_to_class(_metric, models.BigIntegerField(null=True, blank=True))
    AgencyFigure.add_to_class(
        f"{_metric}_joined",
        models.PositiveSmallIntegerField(
            null=True,
            blank=True,
            help_text="1 when one of the agency's reports here covers this day and the day "
            "before (rule 7 joins the two days into one stretch), else 0.",
        ),
    )


class PendingFigure(models.Model):
    """How many pending reports about the area or below cover the day, on every such day (not
    only days with a figure), so that a parent adds up its children's."""

    pk = models.CompositePrimaryKey("area", "date")
    area = models.ForeignKey(
        Area, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    date = models.DateField()
    pending = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.area_id} {self.date}: {self.pending}"


class StaleFigure(models.Model):
    """Stale cells, to refresh: the area and its ancestors, from `since` on
    (the areas above it from `since` to `until`); of the agency rows, only the agency's.

    Written in the same transaction as the change that makes them stale, so a lost message to the
    worker is found again by the periodic sweep. Deleted once the figures are refreshed.
    """

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    # Written with every report change: no index and no foreign-key check to pay for on each
    # (agencies are never deleted, and nothing looks these rows up by agency).
    agency = models.ForeignKey(
        "tracker.Agency",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
        help_text="The agency whose reports changed; empty: every agency's (an area moved).",
    )
    since = models.DateField()
    until = models.DateField(help_text="The last day the change covers.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.area_id} since {self.since}"
