from django.db import migrations

CODENAME = "service_metrics"
NAME = "Can read the staffing and safety dashboard"
# Service managers read the dashboard; the safety team reads it too (alert times are theirs to watch).
GROUPS = ("Service managers", "Safety staff")


def grant(apps, schema_editor):
    # Permissions are created by a post_migrate signal, too late for this migration: make it here.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    user_type, _ = ContentType.objects.get_or_create(app_label="support", model="user")
    permission, _ = Permission.objects.get_or_create(content_type=user_type, codename=CODENAME, defaults={"name": NAME})
    for group_name in GROUPS:
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    Permission.objects.filter(content_type__app_label="support", codename=CODENAME).delete()
    Group.objects.filter(name="Service managers", permissions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0003_user_deleted_at"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "permissions": [
                    ("safety_review", "Can work the safety review queue and act on flags"),
                    ("listener_manage", "Can approve, reject and suspend listeners"),
                    ("room_manage", "Can create rooms and grant room moderation"),
                    ("service_metrics", "Can read the staffing and safety dashboard"),
                ]
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
