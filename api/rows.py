"""Checking report fields as they come in, one report or a bulk upload of 100,000."""

import re

from rest_framework import serializers

from api.serializers import ReportInputSerializer, ReportSubmitSerializer
from tracker.models import Area

AREA_FIELDS = ("area", "destination")
PCODE = re.compile(r"[A-Za-z0-9_-]{1,20}")


class RowParser:
    """Checks each row with ReportInputSerializer's field definitions, without the per-row
    cost of building a serializer (DRF copies every field for each instance).

    `areas` maps p-codes to areas for a bulk upload; without it, each area is looked up.
    """

    fields = ReportInputSerializer().fields  # read-only use: one set serves every row

    def __init__(self, areas: dict[str, Area] | None = None):
        self.areas = areas

    def _area(self, value, field):
        if value is None:
            return field.run_validation(None)
        if not isinstance(value, str) or not PCODE.fullmatch(value):
            area = None
        elif self.areas is not None:
            area = self.areas.get(value)
        else:
            area = Area.objects.filter(pcode=value).first()
        if area is None:
            raise serializers.ValidationError(f"Unknown area p-code {str(value)[:50]}.")
        return area

    def parse(self, data, *, partial: bool = False) -> tuple[dict, dict]:
        """(fields, errors) for one row; `partial` rows may leave out required fields."""
        if not isinstance(data, dict):
            return {}, {"non_field_errors": ["Expected an object of report fields."]}
        errors = {str(key)[:100]: ["Unknown field."] for key in data.keys() - self.fields.keys()}
        fields = {}
        for name, field in self.fields.items():
            if name not in data:
                if field.required and not partial:
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

    def valid(self, data, *, partial: bool = False) -> dict:
        """The checked fields of one report, or a 400 naming each bad field."""
        fields, errors = self.parse(data, partial=partial)
        if errors:
            raise serializers.ValidationError(errors)
        return fields


class SubmitRowParser(RowParser):
    """For new reports (POST, bulk rows): also `duplicate`."""

    fields = ReportSubmitSerializer().fields
