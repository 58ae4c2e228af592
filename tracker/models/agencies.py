from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

agency_code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$",
    "Use 1-32 letters, digits, '-' or '_', starting with a letter or digit.",
)


class Agency(models.Model):
    """An organisation that reports (OCHA, UNHCR, a local NGO, a civil-defence team)."""

    code = models.CharField(max_length=32, unique=True, validators=[agency_code_validator])
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "agencies"
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="agency_code_not_empty"),
        ]

    def __str__(self) -> str:
        return self.code


class Role(models.TextChoices):
    REPORTER = "reporter", "Reporter (submits and edits its agency's reports)"
    VIEWER = "viewer", "Viewer (reads)"
    VERIFIER = "verifier", "Verifier (verifies any agency's reports)"


class User(AbstractUser):
    """A person using the tracker. API users belong to exactly one agency, with one role."""

    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)

    class Meta(AbstractUser.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(agency__isnull=True, role="")
                | Q(agency__isnull=False, role__in=Role.values),
                name="user_role_iff_agency",
            ),
        ]
