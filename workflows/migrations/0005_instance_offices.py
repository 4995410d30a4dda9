import django.db.models.deletion
from django.db import migrations, models

CHUNK = 2000


def fill(apps, schema_editor):
    """Paths for the offices, parents first, and InstanceOffice rows for the instances there are."""
    from workflows.visibility import named_offices

    Office = apps.get_model("workflows", "Office")
    InstanceOffice = apps.get_model("workflows", "InstanceOffice")
    ProcessInstance = apps.get_model("engine", "ProcessInstance")
    rows = list(Office.objects.values_list("pk", "code", "parent_id"))
    paths, by_pk = {}, {pk: (code, parent) for pk, code, parent in rows}

    def path_of(pk):
        if pk not in paths:
            code, parent = by_pk[pk]
            paths[pk] = (path_of(parent) if parent else "/") + code + "/"
        return paths[pk]

    offices = [Office(pk=pk, path=path_of(pk)) for pk in by_pk]
    Office.objects.bulk_update(offices, ["path"], batch_size=CHUNK)
    by_code = {by_pk[pk][0]: path for pk, path in paths.items()}
    links = []
    for pk, data in ProcessInstance.objects.values_list("pk", "data").iterator(chunk_size=CHUNK):
        links += [InstanceOffice(id=f"{pk}:{key}", instance_id=pk, key=key, office=office,
                                 path=by_code.get(office, "") if office else "")
                  for key, office in named_offices(data).items()]
        if len(links) >= CHUNK:
            InstanceOffice.objects.bulk_create(links)
            links = []
    InstanceOffice.objects.bulk_create(links)


class Migration(migrations.Migration):

    dependencies = [
        ("engine", "0016_comments"),
        ("workflows", "0004_office_is_synthetic"),
    ]

    operations = [
        migrations.AddField(
            model_name="office",
            name="path",
            field=models.CharField(db_index=True, default="", editable=False, max_length=400),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="InstanceOffice",
            fields=[
                ("id", models.CharField(help_text="instance id:key", max_length=100, primary_key=True,
                                        serialize=False)),
                ("key", models.CharField(blank=True, max_length=16)),
                ("office", models.CharField(blank=True, max_length=64)),
                ("path", models.CharField(blank=True, db_index=True, help_text="the office's path, if known",
                                          max_length=400)),
                ("instance", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                               to="engine.processinstance")),
            ],
            options={
                "indexes": [models.Index(fields=["office", "instance"], name="workflows_i_office_87130d_idx"),
                            models.Index(condition=models.Q(("key", "")), fields=["instance"],
                                         name="instance_names_no_office")],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
