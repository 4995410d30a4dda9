"""A row per instance and root of the office tree its links lie under, with the instance's start: a
province's instances latest first in one index range. Filled in from the links there are."""
import django.db.models.deletion
from django.db import migrations, models

CHUNK = 2000
SHARED_REGION = "520000"  # the home province's, as workflows.directory names it


def fill(apps, schema_editor):
    Office = apps.get_model("workflows", "Office")
    InstanceOffice = apps.get_model("workflows", "InstanceOffice")
    InstanceRoot = apps.get_model("workflows", "InstanceRoot")
    civil = Office.objects.filter(kind="province_civil_affairs").order_by("code")
    home = (civil.filter(region=SHARED_REGION).values_list("code", flat=True).first()
            or civil.values_list("code", flat=True).first())
    rows, seen = [], set()
    for instance_id, key, path, started_at in InstanceOffice.objects.order_by("instance_id").values_list(
            "instance_id", "key", "path", "instance__started_at").iterator(chunk_size=CHUNK):
        root = path.split("/")[1] if path else (home if key == "" else None)
        if root and (instance_id, root) not in seen:
            seen.add((instance_id, root))
            rows.append(InstanceRoot(id=f"{instance_id}:{root}", instance_id=instance_id, root=root,
                                     started_at=started_at))
        if len(rows) >= CHUNK:
            InstanceRoot.objects.bulk_create(rows)
            rows, seen = [], {pair for pair in seen if pair[0] == instance_id}
    InstanceRoot.objects.bulk_create(rows)


class Migration(migrations.Migration):

    dependencies = [
        ('engine', '0024_timer_due_index_dropped'),
        ('workflows', '0010_links_covered_by_instance'),
    ]

    operations = [
        migrations.CreateModel(
            name='InstanceRoot',
            fields=[
                ('id', models.CharField(help_text='instance id:root', max_length=100, primary_key=True, serialize=False)),
                ('root', models.CharField(max_length=64)),
                ('started_at', models.DateTimeField(help_text="the instance's start, copied: the order its lists walk in")),
                ('instance', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='tree_roots', to='engine.processinstance')),
            ],
            options={
                'indexes': [models.Index(fields=['root', '-started_at'], name='instances_under_root'), models.Index(fields=['instance'], name='roots_of_instance')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
