"""The desk's spreadsheet upload (an admin page): staff choose an agency and a CSV or XLSX file,
read the preview of every row, choose among the candidates of ambiguous place names, confirm."""

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from api import spreadsheets
from api.uploads import choices_of, signed, unsigned, upload_preview, upload_store
from tracker.models import Agency, DeskReport

TEMPLATE = "admin/tracker/deskreport/upload.html"


class UploadForm(forms.Form):
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.order_by("code"),
        help_text="The agency whose reports these are: they are stored as its reports.",
    )
    file = forms.FileField(
        help_text=f"CSV or XLSX, at most {spreadsheets.MAX_BYTES // 1024 // 1024} MB and "
        f"{spreadsheets.MAX_ROWS:,} reports: a header line of field names, then a report a line."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.cells_rows = spreadsheets.read_spreadsheet(upload)  # ValidationError: a form error
        return upload


def _page(request, status=200, **context):
    context = {
        **admin.site.each_context(request),
        "opts": DeskReport._meta,
        "title": "Upload an agency's spreadsheet",
        "fields": spreadsheets.FIELDS,
        "max_rows": spreadsheets.MAX_ROWS,
        **context,
    }
    return TemplateResponse(request, TEMPLATE, context, status=status)


def _preview(request, *, agency, file_name: str, cells_rows: list, choices: dict, note=""):
    preview = upload_preview(
        agency=agency, user=request.user, cells_rows=cells_rows, choices=choices
    )
    token = signed(preview, file_name=file_name, cells_rows=cells_rows, choices=choices)
    if note:
        messages.warning(request, note)
    return _page(
        request,
        preview=preview,
        file_name=file_name,
        signed=token,
    )


def _decide(request):
    """The preview page's buttons: check again with the candidates chosen, or store."""
    try:
        data = unsigned(request.POST.get("signed", ""))
    except signing.BadSignature:
        messages.error(request, "This preview is too old or was altered: upload the file again.")
        return _page(request, status=400, form=UploadForm())
    agency = Agency.objects.get(pk=data["agency"])
    choices = choices_of(request.POST)
    again = {"agency": agency, "file_name": data["file"], "cells_rows": data["rows"]}
    if "_confirm" not in request.POST:
        return _preview(request, **again, choices=choices)
    if choices != data["choices"]:
        note = "You changed a choice of area: check the rows again, then confirm."
        return _preview(request, **again, choices=choices, note=note)
    preview = upload_preview(
        agency=agency, user=request.user, cells_rows=data["rows"], choices=choices
    )
    if preview.fingerprint != data["fingerprint"]:
        note = "Stored reports changed since the preview: nothing was stored. Check the rows again."
        return _preview(request, **again, choices=choices, note=note)
    summary = upload_store(preview=preview, user=request.user)
    done = (
        f"uploaded {data['file']}: {summary.created} report(s) created, {summary.updated} "
        f"corrected, {summary.unchanged} unchanged, {summary.rejected} row(s) refused"
    )
    admin.site.get_model_admin(Agency).log_change(request, agency, done)
    messages.success(request, f"{agency.code}: {done}.")
    desk = reverse("admin:tracker_deskreport_changelist")
    return HttpResponseRedirect(f"{desk}?agency__id__exact={agency.pk}")


def desk_upload(request):
    """Upload, preview, confirm: nothing is written before the confirmation."""
    if request.method == "POST" and "signed" in request.POST:
        return _decide(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return _page(request, form=form)
    if not form.is_valid():
        return _page(request, status=400, form=form)
    upload = form.cleaned_data["file"]
    return _preview(
        request,
        agency=form.cleaned_data["agency"],
        file_name=upload.name[:200],
        cells_rows=form.cells_rows,
        choices={},
    )
