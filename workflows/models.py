from django.conf import settings
from django.db import models


class OfficeKind(models.TextChoices):
    PROVINCE_CIVIL_AFFAIRS = "province_civil_affairs", "省民政厅"
    PROVINCE_FINANCE = "province_finance", "省财政厅"
    PREFECTURE_BUREAU = "prefecture_bureau", "市(州)民政局"
    COUNTY_BUREAU = "county_bureau", "县(市、区)民政局"
    STATION = "station", "社工站"
    SOCIAL_ORG = "social_org", "承接社会组织"
    EVALUATOR = "evaluator", "评标委员会/第三方评估机构"


class Office(models.Model):
    """An office in the tree: province, prefectures, counties, stations; suppliers and evaluators stand alone."""

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=32, choices=OfficeKind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    region = models.CharField(max_length=32, blank=True, help_text="administrative division code")
    is_sample = models.BooleanField(default=False, help_text="loaded as sample data, not a real office")
    is_synthetic = models.BooleanField(default=False, help_text="generated for load tests: its division code "
                                                                "follows GB/T 2260's pattern but is not real")

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A user works in an office; a supervisor may reassign its tasks; a process owner deploys definitions."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="members")
    is_supervisor = models.BooleanField(default=False)
    is_process_owner = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "office"], name="unique_membership")]


class Substitution(models.Model):
    """A colleague stands in for an absent person from one day to another (China time, both included): they
    see and do the absent person's tasks under their own name, on that person's behalf."""

    absent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="substituted_by")
    substitute = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stands_in_for")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    set_by = models.CharField(max_length=150)

    class Meta:
        indexes = [models.Index(fields=["substitute", "ends_on"])]
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                              name="substitution_ends_after_it_starts")]

    def __str__(self):
        return f"{self.substitute} → {self.absent} {self.starts_on}–{self.ends_on}"
