"""A sync client's place in the report feed: the (updated_at, id) of the last report it was
served, handed out as an opaque cursor (URL-safe base64 of the position) and read back strictly."""

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan
from rest_framework.exceptions import ValidationError

from api.filters import FIRST_MOMENT, LAST_MOMENT

CURSOR_HELP = (
    "Where a sync goes on: the `cursor` of a sync page's `next` link. Empty: from the first "
    "report. A sync lists reports oldest change first, each again whenever it changes."
)
BAD_CURSOR = (
    "Not a cursor this API gave: follow a sync page's `next` link, or start a sync with "
    "`updated_since`."
)
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class SyncPosition:
    updated_at: datetime
    id: int

    @classmethod
    def of(cls, report) -> "SyncPosition":
        return cls(report.updated_at, report.pk)


def cursor_encode(position: SyncPosition) -> str:
    text = f"{position.updated_at.isoformat()} {position.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> SyncPosition | None:
    """The position a cursor names; None for an empty one (the start). A cursor this API could
    not have given is a 400 naming `cursor`."""
    if cursor == "":
        return None
    try:
        if len(cursor) > 200 or not re.fullmatch(r"[A-Za-z0-9_-]+", cursor):
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        moment_text, id_text = raw.split(" ")
        moment = datetime.fromisoformat(moment_text)
        if not re.fullmatch(r"[0-9]{1,19}", id_text) or int(id_text) > MAX_ID:
            raise ValueError
        if moment.tzinfo is None or not FIRST_MOMENT <= moment <= LAST_MOMENT:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError({"cursor": [BAD_CURSOR]}) from None
    return SyncPosition(moment, int(id_text))


def after(reports: QuerySet, position: SyncPosition) -> QuerySet:
    """The reports after `position` in (updated_at, id) order: `(updated_at, id) > (t, id)`,
    which PostgreSQL reads straight off the (updated_at, id) index even where a bulk import
    stamped 200,000 reports alike (SQLite gets the same as ORs, led by `updated_at >= t`)."""
    later = TupleGreaterThan(Tuple("updated_at", "id"), (position.updated_at, position.id))
    return reports.filter(later, updated_at__gte=position.updated_at)
