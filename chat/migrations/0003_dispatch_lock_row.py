from django.db import migrations


def create_lock_row(apps, schema_editor):
    apps.get_model("chat", "DispatchLock").objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("chat", "0002_initial")]
    operations = [migrations.RunPython(create_lock_row, migrations.RunPython.noop)]
