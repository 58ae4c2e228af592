"""Idempotency keys are kept at least 24 hours, then purged by the scheduled task."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import IdempotencyRecord
from tasks.maintenance import purge_idempotency_keys
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_keys_older_than_a_day_are_purged_and_newer_ones_kept():
    user = UserFactory()
    old, recent = (
        IdempotencyRecord.objects.create(
            user=user, method="POST", path="/api/v1/reports/", key=key, body_hash="h", status=201
        )
        for key in ("old", "recent")
    )
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=24, minutes=1)
    )
    IdempotencyRecord.objects.filter(pk=recent.pk).update(
        created_at=timezone.now() - timedelta(hours=23, minutes=59)
    )
    assert purge_idempotency_keys.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]
