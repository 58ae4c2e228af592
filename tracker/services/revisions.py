"""Revisions: corrections of verified reports, kept apart until a verifier decides on them.

These run inside the transaction of a report service (tracker/services/reports.py), with the
report locked; the services decide when, and record the report's side of it.
"""

from django.db.models import Max
from django.utils import timezone

from tracker.models import Report, ReportRevision, RevisionStatus, User

# What a revision proposes: a report's submitted fields but its external id, which stays.
REVISED_FIELDS = (
    "area",
    "period_start",
    "period_end",
    "displaced",
    "returned",
    "killed",
    "injured",
    "killed_children",
    "injured_children",
    "cumulative",
    "destination",
    "source_url",
    "source_name",
    "notes",
)
RELATED = ("report", "area", "destination", "submitted_by", "decided_by")


def _attname(name: str) -> str:
    return Report._meta.get_field(name).attname


def has_values(obj: Report | ReportRevision, values: dict) -> bool:
    """Whether a report or revision already says `values` (areas given as Area objects)."""
    for name, value in values.items():
        if hasattr(value, "pk"):
            value = value.pk
        if getattr(obj, _attname(name)) != value:
            return False
    return True


def revised_values(obj: Report | ReportRevision) -> dict:
    """A report's or revision's values of REVISED_FIELDS, areas as ids (`area_id`...)."""
    return {_attname(name): getattr(obj, _attname(name)) for name in REVISED_FIELDS}


def pending_revision(report: Report) -> ReportRevision | None:
    """The report's pending revision, locked."""
    return report.revisions.select_for_update().filter(status=RevisionStatus.PENDING).first()


def revision_decide(
    revision: ReportRevision, *, user: User, status: RevisionStatus, reason: str = ""
) -> None:
    """Settle a pending revision: verified, rejected or superseded, by whom, when and why."""
    revision.status, revision.reason = status, reason
    revision.decided_by, revision.decided_at = user, timezone.now()
    revision._history_user = user
    revision._change_reason = f"{status}: {reason}" if reason else str(status)
    revision.save()


def revision_add(
    report: Report, *, user: User, proposed: dict, superseding: ReportRevision | None
) -> ReportRevision:
    """A new pending revision of `report` proposing `proposed` (checked by the caller as a
    report), superseding the pending one if any."""
    number = (report.revisions.aggregate(last=Max("number"))["last"] or 0) + 1
    if superseding is not None:
        revision_decide(
            superseding,
            user=user,
            status=RevisionStatus.SUPERSEDED,
            reason=f"superseded by revision {number}",
        )
    revision = ReportRevision(report=report, number=number, submitted_by=user, **proposed)
    revision.full_clean(exclude=RELATED, validate_constraints=False)
    revision._history_user = user
    revision._change_reason = "submitted"
    revision.save()
    return revision
