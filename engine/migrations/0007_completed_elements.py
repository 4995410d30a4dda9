"""Instances keep their history apart from their runtime state.

A stored state used to hold every task the instance ever ran. Each one is cut back to what the
instance needs to go on (engine/runtime/pruning.py), and the elements it completed go into
`completed_elements`, where the diagram and version migration read them from now on.
"""
from django.db import migrations, models


def cut_back_stored_states(apps, schema_editor):
    from engine.bpmn.serializer import load_specs
    from engine.runtime.pruning import cut_back_stored

    ProcessInstance = apps.get_model("engine", "ProcessInstance")
    DefinitionVersion = apps.get_model("engine", "DefinitionVersion")
    specs = {}
    stored = ProcessInstance.objects.exclude(serialized="").only("version_id", "serialized", "serializer_version")
    for instance in stored.iterator(chunk_size=100):
        if instance.version_id not in specs:
            specs[instance.version_id] = load_specs(
                DefinitionVersion.objects.values_list("spec_json", flat=True).get(pk=instance.version_id))
        instance.serialized, instance.completed_elements = cut_back_stored(
            instance.serialized, *specs[instance.version_id], instance.serializer_version)
        instance.save(update_fields=["serialized", "completed_elements"])


class Migration(migrations.Migration):

    dependencies = [
        ("engine", "0006_leaner_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="processinstance",
            name="completed_elements",
            field=models.JSONField(default=list),
        ),
        migrations.RunPython(cut_back_stored_states, migrations.RunPython.noop),
    ]
