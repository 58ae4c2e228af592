"""Releases in the admin: staff publish one (its name and notes; the figures are those of the
moment it is saved) and list them with where each is served. Never changed, never deleted."""

from django.contrib import admin
from django.utils.html import format_html

from tracker.admin import NeverDeleted
from tracker.models import FigureRelease
from tracker.services import release_publish


@admin.register(FigureRelease)
class FigureReleaseAdmin(NeverDeleted, admin.ModelAdmin):
    list_display = ("id", "name", "as_of", "created_by", "created_at", "download")
    list_select_related = ("created_by",)
    search_fields = ("name", "notes")
    fields = ("name", "notes")

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.fields
        return ("id", "name", "notes", "as_of", "created_at", "created_by", "download")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    @admin.display(description="figures")
    def download(self, release: FigureRelease):
        url = f"/api/v1/figures/daily/?release={release.pk}"
        return format_html(
            '<a href="{}&format=csv">CSV</a> · <a href="{}&format=hxl">HXL</a> · '
            '<a href="{}">JSON</a>',
            url,
            url,
            url,
        )

    def save_model(self, request, obj, form, change):
        """Publishing goes through the service, which takes the moment (the form checked the
        name is not taken)."""
        published = release_publish(name=obj.name, notes=obj.notes, user=request.user)
        obj.pk, obj.as_of, obj.created_at = published.pk, published.as_of, published.created_at

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)
