"""Reading a bulk upload (JSON list, CSV body or CSV file) into checked report fields."""

from rest_framework.exceptions import ParseError, ValidationError

from api.parsers import decode, read_csv

MAX_ROWS = 200_000


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
