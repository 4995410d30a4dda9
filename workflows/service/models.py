from django.db import models


class StationDeployment(models.Model):
    """The resident service of one station under one agreement (驻站服务)."""

    agreement = models.ForeignKey("planning.ServiceAgreement", on_delete=models.PROTECT, related_name="deployments")
    station = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="+")
    process_instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agreement", "station"], name="unique_deployment")]

    def __str__(self):
        return f"{self.station} / {self.agreement}"
