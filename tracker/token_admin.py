"""API tokens in the admin: listed by their first characters, never by key. A key is shown once,
on the page that answers issuing or rotating it, and nowhere after."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone

from tracker import services
from tracker.errors import StateError
from tracker.models import ApiToken, TokenStatus, User

SHOWN_FIELDS = (
    "prefix",
    "user",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "revoked_by",
    "revoked_reason",
)


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return TokenStatus.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == TokenStatus.REVOKED:
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == TokenStatus.EXPIRED:
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == TokenStatus.ACTIVE:
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        return queryset


class IssueForm(forms.ModelForm):
    user = forms.ModelChoiceField(
        queryset=User.objects.filter(agency__isnull=False, is_active=True),
        help_text="An active API user (one with an agency).",
    )

    class Meta:
        model = ApiToken
        fields = ("user",)


class TokenInline(admin.TabularInline):
    """A user's tokens on the user's page, read-only."""

    model = ApiToken
    fk_name = "user"
    fields = ("prefix", "status", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "API tokens (issue one under API tokens; the key is shown only then)"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="status")
    def status(self, token: ApiToken):
        return token.status().label


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "user",
        "agency",
        "status",
        "created_at",
        "expires_at",
        "last_used_at",
    )
    list_filter = (StatusFilter, "user__agency")
    search_fields = ("prefix", "user__username", "user__agency__code")
    list_select_related = ("user__agency",)
    actions = ("rotate_tokens", "revoke_tokens")
    form = IssueForm

    def get_fields(self, request, obj=None):
        return ("user",) if obj is None else SHOWN_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else SHOWN_FIELDS

    def has_delete_permission(self, request, obj=None):
        return False  # revoked tokens are kept, marked

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="agency", ordering="user__agency__code")
    def agency(self, token: ApiToken):
        return token.user.agency

    @admin.display(description="status")
    def status(self, token: ApiToken):
        return token.status().label

    def save_model(self, request, obj, form, change):
        """Adding issues a token through the service; a token is never edited."""
        if change:
            return
        issued, key = services.token_issue(user=form.cleaned_data["user"])
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(issued, field.attname))
        obj._state.adding = False
        obj.key = key  # for response_add, this once

    def response_add(self, request, obj, post_url_continue=None):
        return self._show_keys(request, [(obj, obj.key)], "Token issued")

    @admin.action(description="Rotate selected tokens: revoke each, issue its user a new one")
    def rotate_tokens(self, request, queryset):
        issued, refused = [], []
        for token in queryset.select_related("user"):
            try:
                issued.append(services.token_rotate(token=token, by=request.user))
                self.log_change(request, token, "rotated")
            except StateError as error:
                refused.append(str(error))
        for problem in refused:
            self.message_user(request, problem, messages.WARNING)
        if not issued:
            return None
        return self._show_keys(request, issued, "Tokens rotated")

    @admin.action(description="Revoke selected tokens")
    def revoke_tokens(self, request, queryset):
        for token in queryset:
            services.token_revoke(token=token, by=request.user, reason="revoked in the admin")
            self.log_change(request, token, "revoked")
        self.message_user(request, f"{queryset.count()} token(s) revoked.", messages.SUCCESS)

    def _show_keys(self, request, issued: list[tuple[ApiToken, str]], title: str):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "issued": issued,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/tracker/apitoken/issued.html", context)
