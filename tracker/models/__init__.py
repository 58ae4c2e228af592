from tracker.models.agencies import Agency, Role, User
from tracker.models.areas import Area, AreaAlias
from tracker.models.desk import DeskReport
from tracker.models.figures import (
    METRICS,
    AgencyFigure,
    CalendarDay,
    DailyFigure,
    PendingFigure,
    StaleFigure,
)
from tracker.models.imports import ImportChunk, ImportFormat, ImportJob, ImportStatus
from tracker.models.reports import COUNT_FIELDS, Report, ReportStatus
from tracker.models.revisions import ReportRevision, RevisionStatus
from tracker.models.tokens import ApiToken, TokenStatus
from tracker.models.versions import VERSIONED_COLUMNS, FigureRelease, FigureVersion

__all__ = [
    "COUNT_FIELDS",
    "METRICS",
    "VERSIONED_COLUMNS",
    "Agency",
    "AgencyFigure",
    "ApiToken",
    "Area",
    "AreaAlias",
    "CalendarDay",
    "DailyFigure",
    "DeskReport",
    "FigureRelease",
    "FigureVersion",
    "ImportChunk",
    "ImportFormat",
    "ImportJob",
    "ImportStatus",
    "PendingFigure",
    "Report",
    "ReportRevision",
    "ReportStatus",
    "RevisionStatus",
    "Role",
    "StaleFigure",
    "TokenStatus",
    "User",
]
