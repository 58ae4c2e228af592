from tracker.models.agencies import Agency, Role, User
from tracker.models.areas import Area, AreaAlias
from tracker.models.figures import (
    METRICS,
    CalendarDay,
    DailyFigure,
    FigureAgency,
    FigureRecompute,
)
from tracker.models.reports import COUNT_FIELDS, Report, ReportStatus

__all__ = [
    "COUNT_FIELDS",
    "METRICS",
    "Agency",
    "Area",
    "AreaAlias",
    "CalendarDay",
    "DailyFigure",
    "FigureAgency",
    "FigureRecompute",
    "Report",
    "ReportStatus",
    "Role",
    "User",
]
