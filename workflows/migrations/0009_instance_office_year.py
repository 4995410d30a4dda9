"""The year an instance's data names, beside each of its office links: a year's instances of a subtree are
then found in the links alone. Filled in from the instances' data, one statement per year they name."""
from django.db import migrations, models
from django.db.models.fields.json import KeyTransform


def fill(apps, schema_editor):
    ProcessInstance = apps.get_model("engine", "ProcessInstance")
    InstanceOffice = apps.get_model("workflows", "InstanceOffice")
    years = ProcessInstance.objects.annotate(year=KeyTransform("year", "data")).values_list("year", flat=True)
    found = {int(y) for y in years.distinct().order_by() if isinstance(y, (int, float)) and not isinstance(y, bool)
             and float(y).is_integer()}
    for year in sorted(found):
        if -2**31 <= year < 2**31:
            InstanceOffice.objects.filter(instance__in=ProcessInstance.objects.filter(data__year=year)).update(
                year=year)


class Migration(migrations.Migration):

    dependencies = [
        ("workflows", "0008_compliance_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="instanceoffice",
            name="year",
            field=models.IntegerField(blank=True, help_text="the year the instance's data names", null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
