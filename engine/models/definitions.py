from django.db import models

from .. import clock


class ProcessDefinition(models.Model):
    """A process known by its key (the BPMN process id), with numbered versions.

    A version is shared (tenant blank) or a tenant's own: tenants are whatever the directory says an instance
    belongs to (engine.directory.Directory.tenant_for), opaque to the engine. New instances of a tenant start
    on its pinned or latest own version when it has one, else on the shared current version.
    """

    key = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=300, blank=True)
    # When set, new instances start on this version instead of the latest shared one (a tenant's: TenantPin).
    pinned_version = models.ForeignKey(
        "engine.DefinitionVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.key

    @property
    def latest(self):
        return self.versions.order_by("-number").first()

    @property
    def current(self):
        """The shared version new instances of no tenant with versions of its own start on."""
        return self.pinned_version or self.versions.filter(tenant="").order_by("-number").first()


class DefinitionVersion(models.Model):
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="versions")
    # Numbered across tenants, so a number names one version of the key whoever deployed it.
    number = models.PositiveIntegerField()
    tenant = models.CharField(max_length=100, blank=True, help_text="whose own version this is; blank: shared")
    name = models.CharField(max_length=300, blank=True)
    content_hash = models.CharField(max_length=64)
    note = models.TextField(blank=True)
    deployed_by = models.CharField(max_length=150)
    deployed_at = models.DateTimeField(default=clock.now)
    # SpiffWorkflow's serialized specs (the process and every process it calls), so that
    # running an instance never parses XML again.
    spec_json = models.JSONField()

    class Meta:
        ordering = ["definition", "-number"]
        constraints = [models.UniqueConstraint(fields=["definition", "number"], name="unique_version_number")]

    def __str__(self):
        return f"{self.definition.key} v{self.number}"

    def form(self, form_id):
        row = self.files.filter(kind=DefinitionFile.FORM, form_id=form_id).first()
        return row.form_schema if row else None


class TenantPin(models.Model):
    """New instances of a tenant start on `version` (shared or the tenant's own) instead of its latest."""

    definition = models.ForeignKey(ProcessDefinition, on_delete=models.CASCADE, related_name="tenant_pins")
    tenant = models.CharField(max_length=100)
    version = models.ForeignKey(DefinitionVersion, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["definition", "tenant"], name="unique_tenant_pin"),
                       models.CheckConstraint(condition=~models.Q(tenant=""), name="tenant_pin_names_a_tenant")]


class DefinitionFile(models.Model):
    """A BPMN diagram, a DMN decision or a form, exactly as deployed."""

    BPMN, DMN, FORM = "bpmn", "dmn", "form"
    version = models.ForeignKey(DefinitionVersion, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=8, choices=[(BPMN, "BPMN"), (DMN, "DMN"), (FORM, "form")])
    name = models.CharField(max_length=255)
    content = models.TextField()
    form_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["version", "name"], name="unique_file_per_version")]

    @property
    def form_schema(self):
        import json

        return json.loads(self.content) if self.kind == self.FORM else None
