from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

PATH_SEPARATOR = "/"


class Area(models.Model):
    """An administrative area, identified by its OCHA p-code (level 0 country to 3)."""

    pcode = models.CharField(max_length=20, unique=True)
    level = models.PositiveSmallIntegerField()
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name_en = models.CharField("English name", max_length=200)
    name_ar = models.CharField("Arabic name", max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    population = models.PositiveBigIntegerField(null=True, blank=True)
    # Stored ancestry: the p-codes from the root down to this area, "SY/SY02/SY0200/".
    # Descendants are found through it, never by p-code prefix (an area can be moved).
    path = models.CharField(max_length=200, editable=False, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pcode"]
        constraints = [
            models.CheckConstraint(condition=Q(level__lte=3), name="area_level_0_to_3"),
            models.CheckConstraint(
                condition=Q(level=0, parent__isnull=True) | Q(level__gt=0, parent__isnull=False),
                name="area_parent_iff_not_country",
            ),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90) | Q(latitude__isnull=True),
                name="area_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180) | Q(longitude__isnull=True),
                name="area_longitude_range",
            ),
            models.CheckConstraint(condition=~Q(pcode=""), name="area_pcode_not_empty"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="area_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.pcode} {self.name_en}"

    def clean(self) -> None:
        if self.parent is not None and self.parent.level != self.level - 1:
            raise ValidationError(
                {"parent": f"A level {self.level} area's parent must be level {self.level - 1}."}
            )

    def path_under(self, parent: "Area | None") -> str:
        return (parent.path if parent else "") + self.pcode + PATH_SEPARATOR

    def ancestor_pcodes(self) -> list[str]:
        """P-codes of the areas above this one, nearest last."""
        return self.path.split(PATH_SEPARATOR)[:-2]


class AreaAlias(models.Model):
    """Another name people use for an area ("Kobani" for Ain Al Arab), in English or Arabic."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=200)
    language = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["alias"]
        verbose_name_plural = "area aliases"
        constraints = [
            models.UniqueConstraint(fields=["area", "alias"], name="alias_unique_per_area"),
            models.CheckConstraint(condition=~Q(alias=""), name="alias_not_empty"),
        ]

    def __str__(self) -> str:
        return self.alias
