"""The staff's admin: areas, agencies and their users, reports to verify, daily figures to read."""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from tracker import desk, desk_preview, services
from tracker.admin_history import HistoryAdmin
from tracker.errors import NotAllowed, StateError
from tracker.models import (
    Agency,
    Area,
    AreaAlias,
    DailyFigure,
    ImportJob,
    Report,
    ReportRevision,
    User,
)
from tracker.services.revisions import REVISED_FIELDS
from tracker.token_admin import TokenInline


def arabic(text: str) -> str:
    """Arabic text isolated from the surrounding left-to-right page, so it reads correctly."""
    return format_html('<bdi dir="rtl" lang="ar">{}</bdi>', text) if text else "-"


COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows, so a list of a million reports costs no full-table
    COUNT (the pages past the cap are reached by narrowing the list down)."""

    @cached_property
    def count(self):
        return len(self.object_list.order_by().values("pk")[: COUNT_CAP + 1])


class NeverDeleted:
    """Reports, areas and agencies are never hard-deleted; withdrawals keep history."""

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class ReadOnly(NeverDeleted):
    """Rows the tracker derives or its workers write: staff read them, nobody edits them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AreaAliasInline(admin.TabularInline):
    model = AreaAlias
    extra = 1


@admin.register(Area)
class AreaAdmin(NeverDeleted, HistoryAdmin):
    list_display = ("pcode", "name_en", "name_ar_display", "level", "parent")
    list_filter = ("level",)
    search_fields = ("pcode", "name_en", "name_ar", "aliases__alias")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    readonly_fields = ("path",)
    inlines = (AreaAliasInline,)

    @admin.display(description="Arabic name", ordering="name_ar")
    def name_ar_display(self, area: Area):
        return arabic(area.name_ar)

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False

    def save_model(self, request, obj, form, change):
        services.area_save(area=obj, user=request.user)


class MemberInline(admin.TabularInline):
    model = User
    fields = ("username", "role", "is_active", "last_login")
    readonly_fields = ("username", "last_login")
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = "member"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Agency)
class AgencyAdmin(NeverDeleted, HistoryAdmin):
    list_display = ("code", "name", "member_count", "report_count")
    search_fields = ("code", "name")
    inlines = (MemberInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                members_n=Count("members", distinct=True), reports_n=Count("reports", distinct=True)
            )
        )

    @admin.display(description="users", ordering="members_n")
    def member_count(self, agency):
        return agency.members_n

    @admin.display(description="reports", ordering="reports_n")
    def report_count(self, agency):
        return agency.reports_n


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "agency", "role", "is_staff", "is_active")
    list_filter = ("agency", "role", "is_staff", "is_active")
    list_select_related = ("agency",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Agency", {"fields": ("agency", "role")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Agency", {"fields": ("agency", "role")}),
    )
    inlines = (TokenInline,)


class GovernorateFilter(admin.SimpleListFilter):
    title = "governorate"
    parameter_name = "governorate"

    def lookups(self, request, model_admin):
        return [(a.pcode, f"{a.name_en} ({a.pcode})") for a in Area.objects.filter(level=1)]

    def queryset(self, request, queryset):
        if self.value():
            governorate = Area.objects.filter(pcode=self.value(), level=1).first()
            if governorate is None:
                return queryset.none()
            return queryset.filter(area__path__startswith=governorate.path)
        return queryset


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class RevisionInline(admin.TabularInline):
    """Corrections of the report: the pending one is what "verify" or "reject" decides."""

    model = ReportRevision
    fk_name = "report"
    fields = ("number", "status", *REVISED_FIELDS, "submitted_by", "created_at", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(NeverDeleted, HistoryAdmin):
    list_display = (
        "id",
        "agency",
        "area_display",
        "period_start",
        "period_end",
        "displaced",
        "returned",
        "killed",
        "injured",
        "cumulative",
        "status",
        "updated_at",
    )
    list_filter = (
        "status",
        "agency",
        GovernorateFilter,
        ("period_end", admin.DateFieldListFilter),
        "cumulative",
    )
    search_fields = (
        "=id",
        "external_id",
        "area__pcode",
        "area__name_en",
        "area__name_ar",
        "source_name",
        "notes",
    )
    list_select_related = ("agency", "area")
    # At a million reports: newest first through the primary key, no full count, and no date
    # hierarchy (its months are a scan of every report); the period end filter narrows down.
    ordering = ("-id",)
    paginator = CappedPaginator
    show_full_result_count = False
    actions = ("verify_reports", "reject_reports", "reopen_reports")
    history_list_display = ("status", "status_reason", "duplicate_of", "possible_duplicate_of")
    inlines = (RevisionInline,)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Report._meta.fields]

    def has_add_permission(self, request):
        return False  # reports come from agencies, through the API

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Read-only: a POST decides (verify or reject through the services), never saves."""
        report = self.get_object(request, object_id)
        if report is None:
            return super().change_view(request, object_id, form_url, extra_context)
        if request.method == "POST":
            return self._decide(request, report)
        context = {
            "desk": desk.report_context(report, request.user),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def _decide(self, request, report: Report):
        here = request.path
        if request.POST.get("updated_at") != report.updated_at.isoformat():
            self.message_user(
                request,
                f"Report #{report.pk} changed since you opened it (it is now {report.status}): "
                "nothing was done. Read it again before deciding.",
                messages.ERROR,
            )
            return HttpResponseRedirect(here)
        try:
            if "_verify" in request.POST:
                services.report_verify(report=report, user=request.user)
                done = "verified"
            elif "_reject" in request.POST:
                reason = request.POST.get("reason", "")
                services.report_reject(report=report, user=request.user, reason=reason)
                done = f"rejected: {reason.strip()}"
            else:
                self.message_user(request, "Nothing to save: nothing changed.", messages.INFO)
                return HttpResponseRedirect(here)
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(here)
        except StateError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(here)
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        self.log_change(request, report, done)
        self.message_user(request, f"Report #{report.pk} {done}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:tracker_deskreport_changelist"))

    @admin.display(description="area", ordering="area__pcode")
    def area_display(self, report: Report):
        return format_html("{} {}", report.area.pcode, arabic(report.area.name_ar))

    def _apply(self, request, queryset, action, done: str, **kwargs):
        changed, problems = 0, []
        for report in queryset:
            try:
                action(report=report, user=request.user, **kwargs)
                reason = kwargs.get("reason")
                self.log_change(request, report, f"{done}: {reason}" if reason else done)
                changed += 1
            except (StateError, ValidationError) as error:
                problems.append(
                    f"#{report.pk}: {'; '.join(getattr(error, 'messages', [str(error)]))}"
                )
            except NotAllowed as error:
                raise PermissionDenied(str(error)) from error
        if changed:
            self.message_user(request, f"{changed} report(s) {done}.", messages.SUCCESS)
        for problem in problems:
            self.message_user(request, problem, messages.WARNING)

    @admin.action(description="Verify selected reports")
    def verify_reports(self, request, queryset):
        if request.POST.get("confirm") == "yes":
            self._apply(request, queryset, services.report_verify, "verified")
            return None
        return self._confirm(request, queryset, services.report_verify, "verified", form=None)

    @admin.action(
        description="Reject selected reports, or their pending revisions (asks for a reason)"
    )
    def reject_reports(self, request, queryset):
        return self._with_reason(request, queryset, services.report_reject, "rejected")

    @admin.action(description="Reopen selected rejected reports (asks for a reason)")
    def reopen_reports(self, request, queryset):
        return self._with_reason(request, queryset, services.report_reopen, "reopened")

    def _with_reason(self, request, queryset, service, done: str):
        form = ReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            self._apply(request, queryset, service, done, reason=form.cleaned_data["reason"])
            return None
        return self._confirm(request, queryset, service, done, form=form)

    def _confirm(self, request, queryset, service, done: str, *, form):
        """The page listing the reports an action will decide, with a reason when it needs one,
        and the figure changes the decisions cause (previewed, nothing saved)."""
        reports = list(
            queryset.select_related("agency", "area")[: desk_preview.PREVIEW_REPORTS + 1]
        )
        reason = {} if service is services.report_verify else {"reason": "(preview)"}
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reports to be {done}",
            "form": form,
            "reports": queryset.select_related("agency", "area"),
            "preview": desk_preview.decisions_preview(
                reports, lambda report: service(report=report, user=request.user, **reason)
            ),
            "done": done,
            "action": request.POST.get("action"),
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/tracker/report/reason.html", context)


@admin.register(ReportRevision)
class ReportRevisionAdmin(NeverDeleted, HistoryAdmin):
    """Every correction of a verified report, decided or not. Decide them on the report."""

    list_display = ("report", "number", "status", "area", "period_start", "period_end")
    list_filter = ("status",)
    search_fields = ("=report__id", "area__pcode")
    list_select_related = ("report__agency", "report__area", "area")
    paginator = CappedPaginator
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in ReportRevision._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(DailyFigure)
class DailyFigureAdmin(ReadOnly, admin.ModelAdmin):
    list_display = (
        "area",
        "date",
        "displaced",
        "displaced_cumulative",
        "returned",
        "killed",
        "killed_cumulative",
        "injured",
        "agency_count",
        "pending_reports",
        "computed_at",
    )
    list_filter = ("area__level", ("date", admin.DateFieldListFilter))
    search_fields = ("area__pcode", "area__name_en", "area__name_ar")
    list_select_related = ("area",)
    date_hierarchy = "date"
    paginator = CappedPaginator
    show_full_result_count = False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnly, admin.ModelAdmin):
    """Bulk uploads run by workers, to read: where each is, what it did, why one failed."""

    list_display = ("id", "agency", "submitted_by", "status", "phase", "percent", "rows",
                    "created", "updated", "rejected", "created_at", "finished_at")  # fmt: skip
    list_filter = ("status", "agency")
    list_select_related = ("agency", "submitted_by")
    exclude = ("errors",)
    readonly_fields = ("errors_shown",)

    @admin.display(description="errors (the first rejected rows)")
    def errors_shown(self, job):
        return format_html("<pre>{}</pre>", json.dumps(job.errors[:100], indent=1))


# The verification desk and the releases, built on the above:
from tracker import desk_admin, release_admin  # noqa: E402, F401
