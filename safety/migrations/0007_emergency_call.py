import django.db.models.deletion
from django.db import migrations, models

# Audit actions renamed with the model: stored rows take the new name so the trail reads one way.
# A copy, not an import of safety.audit: a migration keeps doing what it did when it was written.
RENAMED_ACTIONS = {"escalation.record": "emergency_call.record"}


def _rename_actions(apps, renames: dict[str, str]) -> None:
    # The historical model's base manager: the app's own manager refuses updates, and this is the
    # one place the trail's wording changes (what was done, by whom and when stays as written).
    AuditRecord = apps.get_model("safety", "AuditRecord")
    for old, new in renames.items():
        AuditRecord._base_manager.filter(action=old).update(action=new)


def actions_forward(apps, schema_editor):
    _rename_actions(apps, RENAMED_ACTIONS)


def actions_backward(apps, schema_editor):
    _rename_actions(apps, {new: old for old, new in RENAMED_ACTIONS.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("safety", "0006_metrics_indexes"),
    ]

    operations = [
        migrations.RenameModel(old_name="EmergencyEscalation", new_name="EmergencyCall"),
        migrations.AlterField(
            model_name="emergencycall",
            name="flag",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="emergency_calls",
                to="safety.safetyflag",
            ),
        ),
        migrations.RunPython(actions_forward, actions_backward),
    ]
