from django.db import models


class AnnualPlan(models.Model):
    """A county's annual implementation plan (年度实施计划), filed with the province."""

    county = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    budget = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    station_count = models.PositiveIntegerField(default=0)
    process_instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county", "year"], name="unique_plan_per_county_year")]

    def __str__(self):
        return f"{self.county} {self.year}"


class ServiceAgreement(models.Model):
    """The service agreement (服务协议) a county signs with the organisation that won its lot."""

    county = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    social_org = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey("procurement.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    signed_on = models.DateField(null=True, blank=True)
    process_instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    def __str__(self):
        return f"{self.county} {self.year} / {self.social_org}"
