from django.db import models


class CalendarYear(models.Model):
    """A year whose official holidays and make-up working days are loaded."""

    year = models.PositiveIntegerField(unique=True)
    source = models.CharField(max_length=200, help_text="where the year came from: a package or a notice")
    loaded_at = models.DateTimeField()
    loaded_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


class CalendarDay(models.Model):
    """A day that differs from the Monday-to-Friday rule: a holiday on a weekday, or a make-up working weekend."""

    date = models.DateField(unique=True)
    is_workday = models.BooleanField()
    name = models.CharField(max_length=100, blank=True, help_text="holiday name, e.g. 春节")

    class Meta:
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'工作日' if self.is_workday else '休息日'} {self.name}"


class RegionalHoliday(models.Model):
    """An extra rest day declared by a region (e.g. an autonomous prefecture's ethnic festival)."""

    region = models.CharField(max_length=32, db_index=True, help_text="administrative division code")
    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["region", "date"]
        constraints = [models.UniqueConstraint(fields=["region", "date"], name="unique_regional_holiday")]

    def __str__(self):
        return f"{self.region} {self.date} {self.name}"
