"""The verification desk in the admin: what waits for a verifier, oldest first, with flags."""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from tracker import desk
from tracker.admin import CappedPaginator, GovernorateFilter, NeverDeleted, ReportAdmin, arabic
from tracker.desk_conflicts import conflicting
from tracker.models import Area, DeskReport


class FlagFilter(admin.SimpleListFilter):
    title = "flag"
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [("conflict", "conflict"), ("duplicate", "possible duplicate")]

    def queryset(self, request, queryset):
        if self.value() == "conflict":
            return queryset.filter(conflicting())
        if self.value() == "duplicate":
            return queryset.filter(
                Q(possible_duplicate_of__isnull=False) | Q(duplicate_of__isnull=False)
            )
        return queryset


class DeskChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        desk.flag(self.result_list)


@admin.register(DeskReport)
class DeskAdmin(NeverDeleted, admin.ModelAdmin):
    list_display = (
        "report_link",
        "flags",
        "waiting",
        "area_en",
        "period",
        "counts",
        "agency",
        "source",
    )
    list_display_links = None
    list_filter = (
        GovernorateFilter,
        "agency",
        FlagFilter,
        ("period_end", admin.DateFieldListFilter),
    )
    search_fields = ("area__pcode", "area__name_en", "area__name_ar", "area__aliases__alias")
    show_full_result_count = False
    paginator = CappedPaginator
    list_per_page = 50
    actions = ("verify_reports", "reject_reports")
    verify_reports = ReportAdmin.verify_reports
    reject_reports = ReportAdmin.reject_reports
    _apply = ReportAdmin._apply
    _with_reason = ReportAdmin._with_reason
    _confirm = ReportAdmin._confirm

    def get_queryset(self, request):
        return desk.waiting(DeskReport)

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            return queryset, False
        areas = Area.objects.filter(
            Q(pcode__istartswith=search_term)
            | Q(name_en__icontains=search_term)
            | Q(name_ar__icontains=search_term)
            | Q(aliases__alias__icontains=search_term)
        )
        return queryset.filter(area__in=areas.values("pk")), False

    def get_changelist(self, request, **kwargs):
        return DeskChangeList

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff

    @admin.display(description="report")
    def report_link(self, report):
        revision = report.pending_revision()
        url = f"../report/{report.pk}/change/"
        label = f"#{report.pk}" + (f" revision {revision.number}" if revision else "")
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description="waiting since", ordering="waiting_since")
    def waiting(self, report):
        return localtime(report.waiting_since).strftime("%Y-%m-%d %H:%M")

    @admin.display(description="area (p-code), governorate")
    def area_en(self, report):
        area = report.desk_statement.area
        above = desk.governorate(area)
        return format_html(
            "{} ({}) {}<br><small>{}</small>",
            area.name_en,
            area.pcode,
            arabic(area.name_ar),
            above.name_en if above else "-",
        )

    @admin.display(description="period")
    def period(self, report):
        s = report.desk_statement
        if s.period_start == s.period_end:
            return s.period_start.isoformat()
        return format_html("{}<br>– {}", s.period_start.isoformat(), s.period_end.isoformat())

    @admin.display(description="counts")
    def counts(self, report):
        values = [(n, v) for n, v in report.desk_statement.counts.items() if v is not None]
        total = " (cumulative)" if report.cumulative else ""
        return format_html_join(", ", "{} {}", values) + total

    @admin.display(description="source")
    def source(self, report):
        if not report.source_url:
            return report.source_name or "-"
        return format_html(
            '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>',
            report.source_url,
            report.source_name or "link",
        )

    @admin.display(description="flags")
    def flags(self, report):
        flags = report.desk_flags
        parts = []
        if flags.conflicts:
            others = ", ".join(
                f"#{o.pk} {o.agency__code} {o.area__pcode}" for o in flags.conflicts[:5]
            )
            parts.append(format_html('<span class="desk-flag" title="{}">conflict</span>', others))
        if flags.duplicate:
            parts.append(
                format_html(
                    '<span class="desk-flag" title="of #{}">possible duplicate</span>',
                    flags.duplicate,
                )
            )
        if flags.outliers:
            parts.append(
                format_html(
                    '<span class="desk-flag" title="{}">outlier</span>', "; ".join(flags.outliers)
                )
            )
        return format_html_join(" ", "{}", ((p,) for p in parts)) or "-"
