from django.db import migrations

TOPICS = [
    ("anxiety", "Anxiety", "Worry, panic, racing thoughts."),
    ("depression", "Depression", "Low mood, emptiness, losing interest."),
    ("stress", "Stress", "Too much at once, feeling overwhelmed."),
    ("loneliness", "Loneliness", "Feeling alone or disconnected."),
    ("relationships", "Relationships", "Partners, friends, breakups."),
    ("grief-and-loss", "Grief and loss", "Losing someone or something that mattered."),
    ("caregiving", "Caregiving", "Looking after someone who needs you."),
    ("family", "Family", "Parents, siblings, home life."),
    ("work-and-school", "Work and school", "Pressure, exams, jobs, colleagues."),
    ("lgbtq", "LGBTQ+", "Identity, coming out, belonging."),
    ("self-esteem", "Self-esteem", "How you see and treat yourself."),
    ("sleep", "Sleep", "Trouble sleeping, tiredness."),
    ("chronic-illness", "Chronic illness", "Living with long-term health conditions."),
    ("parenting", "Parenting", "Raising children, the joys and the strain."),
]

GROUPS = {
    "Safety staff": ["safety_review"],
    "Listener managers": ["listener_manage"],
    "Room managers": ["room_manage"],
}


def seed(apps, schema_editor):
    Topic = apps.get_model("support", "Topic")
    for order, (slug, name, description) in enumerate(TOPICS, start=1):
        Topic.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "display_order": order * 10}
        )
    # Permissions are created by a post_migrate signal, too late for this migration: make them here.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    user_type, _ = ContentType.objects.get_or_create(app_label="support", model="user")
    names = {
        "safety_review": "Can work the safety review queue and act on flags",
        "listener_manage": "Can approve, reject and suspend listeners",
        "room_manage": "Can create rooms and grant room moderation",
    }
    for group_name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for codename in codenames:
            permission, _ = Permission.objects.get_or_create(
                content_type=user_type, codename=codename, defaults={"name": names[codename]}
            )
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
