"""Change history in the admin as staff read it: times in local time, like the rest of the
page, and an empty value as "-" (django-simple-history shows an empty foreign key as
"Deleted user (pk=None)" and a timestamp as raw UTC)."""

from datetime import datetime

from django.utils.formats import date_format
from django.utils.timezone import localtime
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper


class LocalHistoryHelper(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        if value is None or (isinstance(value, DeletedObject) and value.pk is None):
            return "-"
        if isinstance(value, datetime):  # as the page shows each record's own date and time
            return date_format(localtime(value), "DATETIME_FORMAT")
        return value


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose changes read like the rest of the admin."""

    def get_historical_record_context_helper(self, request, historical_record):
        return LocalHistoryHelper(self.model, historical_record)
