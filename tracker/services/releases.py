"""Releases: named, frozen snapshots of the figures that staff publish for citing."""

from django.db import transaction

from tracker.figures import engine
from tracker.models import FigureRelease, User
from tracker.services.figures import figures_refresh


def release_publish(*, name: str, notes: str = "", user: User | None) -> FigureRelease:
    """Publish the figures as they are now as a release named `name`. Stale figures are
    refreshed first, so it holds every report verified before it was asked for."""
    figures_refresh()
    with transaction.atomic():
        release = FigureRelease(name=name, notes=notes, created_by=user, as_of=engine.feed_moment())
        release.full_clean()
        release.save()
    return release
