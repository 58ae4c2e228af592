from tracker.models.agencies import Agency, Role, User
from tracker.models.areas import Area, AreaAlias
from tracker.models.figures import (
    METRICS,
    AgencyFigure,
    CalendarDay,
    DailyFigure,
    PendingFigure,
    StaleFigure,
)
from tracker.models.reports import COUNT_FIELDS, Report, ReportStatus

__all__ = [
    "COUNT_FIELDS",
    "METRICS",
    "Agency",
    "AgencyFigure",
    "Area",
    "AreaAlias",
    "CalendarDay",
    "DailyFigure",
    "PendingFigure",
    "Report",
    "ReportStatus",
    "Role",
    "StaleFigure",
    "User",
]
