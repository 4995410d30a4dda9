import django.db.models.deletion
from django.db import migrations, models


def home_province(apps, schema_editor):
    """Projects from before provinces procured apart were the home province's (Guizhou's)."""
    Office = apps.get_model("workflows", "Office")
    home = Office.objects.filter(kind="province_civil_affairs", region="520000", parent=None).first()
    if home is not None:
        apps.get_model("procurement", "ProcurementProject").objects.filter(province=None).update(province=home)


class Migration(migrations.Migration):

    dependencies = [
        ('procurement', '0005_complaints'),
        ('workflows', '0007_office_changed_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='procurementproject',
            name='province',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='workflows.office'),
        ),
        migrations.RunPython(home_province, migrations.RunPython.noop),
    ]
