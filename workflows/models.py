from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat, Substr


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
    # The codes from the top of the tree down to this office, "/gz/5201/520102/": an office's subtree is the
    # offices whose path starts with its own, one index range (PostgreSQL also gets a varchar_pattern_ops
    # index for LIKE from db_index).
    path = models.CharField(max_length=400, db_index=True, editable=False)
    # When the row last changed (the system's time, not the engine clock): processes holding the office tree
    # (directory.office_tree) see from it that they should read it again.
    changed_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["code"]
        # The offices of one kind in a subtree (a province's prefectures): one range of the kind's offices, not
        # the subtree's thousand stations filtered.
        indexes = [models.Index(fields=["kind", "path"], name="offices_of_kind_in_subtree",
                                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"])]

    def __str__(self):
        return self.name

    def tree_path(self):
        return f"{self.parent.path if self.parent_id else '/'}{self.code}/"

    def save(self, *args, **kwargs):
        before, self.path = self.path, self.tree_path()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "path", "changed_at"}
        super().save(*args, **kwargs)
        InstanceOffice.objects.filter(office=self.code).exclude(path=self.path).update(path=self.path)
        if before and before != self.path:
            moved_to(before, self.path)
            from .compliance import recount  # counted by prefecture: the counts below the office move with it
            recount()


def moved_to(before, after):
    """Offices and instance links below a moved (or renamed) office follow it to its new path."""
    rest = Substr("path", len(before) + 1)
    for model in (Office, InstanceOffice):
        model.objects.filter(path__startswith=before).update(path=Concat(Value(after), rest))
    from .visibility import rebuild_roots  # moved to another root, the instances below go with it
    if before.split("/")[1] != after.split("/")[1]:
        rebuild_roots(InstanceOffice.objects.filter(path__startswith=after).values_list(
            "instance_id", flat=True).distinct().order_by())


class InstanceOffice(models.Model):
    """An office an instance's data names under one of its keys (visibility.OFFICE_DATA_KEYS), with the
    office's tree path and the data's year, so that who sees an instance is an indexed lookup rather than a
    test on its data.
    An instance that names none has one row with an empty key. Kept in step by visibility's data hook."""

    id = models.CharField(max_length=100, primary_key=True, help_text="instance id:key")
    # Indexed below with what visibility tests, so that walking instances in order tests each one's links
    # in the index alone.
    instance = models.ForeignKey("engine.ProcessInstance", on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    key = models.CharField(max_length=16, blank=True)
    office = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=400, blank=True, db_index=True, help_text="the office's path, if known")
    # Read with the path: a year's instances of a subtree are found without reading the instances' data.
    year = models.IntegerField(null=True, blank=True, help_text="the year the instance's data names")

    class Meta:
        indexes = [models.Index(fields=["instance"], include=["key", "office", "path", "year"],
                                name="instance_office_links"),
                   models.Index(fields=["office", "instance"]),
                   models.Index(fields=["instance"], condition=models.Q(key=""), name="instance_names_no_office")]


class InstanceRoot(models.Model):
    """A root of the office tree (a province's civil-affairs department, an organisation) under which the
    offices an instance's data names lie, with the instance's start: a province's instances, latest first, are
    one index range, however many links each has and however many the nation holds.
    An instance that names no office is under the home province. Kept in step by visibility's data hook."""

    id = models.CharField(max_length=100, primary_key=True, help_text="instance id:root")
    instance = models.ForeignKey("engine.ProcessInstance", on_delete=models.CASCADE, related_name="tree_roots",
                                 db_index=False)
    root = models.CharField(max_length=64)
    started_at = models.DateTimeField(help_text="the instance's start, copied: the order its lists walk in")

    class Meta:
        indexes = [models.Index(fields=["root", "-started_at"], name="instances_under_root"),
                   models.Index(fields=["instance"], name="roots_of_instance")]


class ComplianceCount(models.Model):
    """How many tasks of one statutory step (a user task with a due date) were completed on time and late,
    among the instances of a year that name the same prefectures of a province, or are its province-wide
    ones: what the dashboard shows of completed work, without reading the task rows. Kept by
    workflows.compliance as steps complete tasks."""

    id = models.CharField(max_length=40, primary_key=True, help_text="a digest of the fields up to name")
    year = models.IntegerField()
    province = models.CharField(max_length=64, help_text="its civil-affairs department")
    prefectures = models.TextField(blank=True, help_text="the prefecture offices the instances name, space-separated")
    province_wide = models.BooleanField(default=False)
    process = models.CharField(max_length=200)
    bpmn_id = models.CharField(max_length=200)
    name = models.CharField(max_length=300)
    on_time = models.IntegerField(default=0)
    late = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["year", "province"])]


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
