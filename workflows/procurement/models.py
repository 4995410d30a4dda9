from django.db import models


class ProcurementProject(models.Model):
    """One provincial procurement of a year, divided into lots."""

    year = models.PositiveIntegerField()
    code = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=300)
    process_instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    def __str__(self):
        return self.title


class Lot(models.Model):
    """A lot (标段) of a procurement: the service of one county's stations."""

    project = models.ForeignKey(ProcurementProject, on_delete=models.CASCADE, related_name="lots")
    number = models.PositiveIntegerField()
    county = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="+")
    budget = models.DecimalField(max_digits=14, decimal_places=2)
    winner = models.ForeignKey("workflows.Office", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    awarded_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    award_notice_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="unique_lot_number")]

    def __str__(self):
        return f"{self.project} / {self.number}"
