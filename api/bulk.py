"""Reading a bulk upload (JSON list, CSV body or CSV file) into checked report fields."""

from rest_framework import serializers
from rest_framework.exceptions import ParseError, ValidationError

from api.parsers import decode, read_csv
from api.serializers import ReportInputSerializer
from tracker.models import Area

MAX_ROWS = 200_000
AREA_FIELDS = ("area", "destination")


def upload_rows(request) -> list:
    """The rows of the upload, whatever form it came in."""
    if not request.body:
        raise ParseError("The upload is empty: send a JSON list, a CSV body or a CSV file.")
    if request.content_type.startswith("multipart/form-data"):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Attach the CSV as the form field 'file'."]})
        rows = read_csv(decode(upload.read()))
    else:
        rows = request.data
    if not isinstance(rows, list):
        raise ParseError("Send a JSON list of reports, a CSV body (text/csv) or a CSV file.")
    if len(rows) > MAX_ROWS:
        raise ValidationError({"rows": [f"At most {MAX_ROWS} reports in one upload."]})
    return rows


class RowParser:
    """Checks each row with the same field definitions as a single report, without the
    per-row cost of building a serializer (bulk uploads run to 100,000 rows)."""

    def __init__(self):
        self.fields = ReportInputSerializer().fields
        self.areas = {area.pcode: area for area in Area.objects.all()}

    def _area(self, value, field):
        if value is None:
            return field.run_validation(None)
        area = self.areas.get(value) if isinstance(value, str) else None
        if area is None:
            raise serializers.ValidationError(f"Unknown area p-code {str(value)[:50]}.")
        return area

    def parse(self, data) -> tuple[dict, dict]:
        """(fields, errors) for one row."""
        if not isinstance(data, dict):
            return {}, {"non_field_errors": ["Expected an object of report fields."]}
        errors = {str(key)[:100]: ["Unknown field."] for key in data.keys() - self.fields.keys()}
        fields = {}
        for name, field in self.fields.items():
            if name not in data:
                if field.required:
                    errors[name] = ["This field is required."]
                continue
            try:
                if name in AREA_FIELDS:
                    fields[name] = self._area(data[name], field)
                else:
                    fields[name] = field.run_validation(data[name])
            except serializers.ValidationError as error:
                errors[name] = error.detail
        return fields, errors
