"""The page a locked-out staff login gets (django-axes calls `locked_out`)."""

from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from django.utils.timesince import timeuntil
from django.utils.timezone import now


def locked_out(request, original_response=None, credentials=None):
    """429, in the admin's look, saying for how long and how to get in sooner."""
    started = now()
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed logins",
        "username": (credentials or {}).get("username") or request.POST.get("username", ""),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cool_off": timeuntil(started + settings.AXES_COOLOFF_TIME, started),
    }
    return render(request, "admin/locked_out.html", context, status=429)
