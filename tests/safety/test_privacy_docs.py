"""docs/privacy.md names every field that can hold a person's words or an identifier."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.db import models

PRIVACY_DOC = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"
APPS = ("support", "listeners", "chat", "safety", "rooms", "frontend", "sessions")
# Field types that can hold words or identifiers (EmailField, SlugField, URLField are CharFields).
TEXT_OR_IDENTIFIER = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.GenericIPAddressField,
    models.UUIDField,
    models.BinaryField,
    models.FileField,
)

# Fields of those types that hold nothing about a person. Keep this honest: a field that can hold
# anyone's words, a name, an id or a fact about them belongs in docs/privacy.md, not here.
NOT_PERSONAL = {
    # Topics: reference data written by staff.
    "support.Topic.slug",
    "support.Topic.name",
    "support.Topic.description",
    # Training content written by staff (a listener's answers are QuizAttempt.answers, documented).
    "listeners.TrainingModule.slug",
    "listeners.TrainingModule.title",
    "listeners.TrainingModule.summary",
    "listeners.TrainingModule.body",
    "listeners.TrainingModule.audience",
    "listeners.QuizQuestion.text",
    "listeners.QuizQuestion.explanation",
    "listeners.QuizOption.text",
    # Room configuration written by staff.
    "rooms.Room.name",
    "rooms.Room.guideline",
    "rooms.Room.audience",
    # States and kinds from fixed enums: they describe a row, and go with it.
    "listeners.ListenerProfile.status",
    "listeners.Shift.end_reason",
    "listeners.ListenerDecision.action",
    "listeners.ListenerDecision.status_before",
    "listeners.ListenerDecision.status_after",
    "chat.Conversation.status",
    "chat.Conversation.end_reason",
    "chat.Message.kind",
    "chat.Message.sender_role",  # seeker | listener | staff | system
    "chat.Message.for_role",  # "" | seeker | listener: which side a system line speaks to
    "chat.ChatRequest.status",
    "chat.Offer.status",
    "safety.SafetyFlag.source",
    "safety.SafetyFlag.status",
    "safety.Sanction.kind",
    "rooms.RoomMessage.kind",
    "rooms.RoomMessage.status",
    "rooms.RoomModerationAction.action",
}

_NAME = re.compile(r"`([a-z_]+\.[A-Z][A-Za-z]+\.[a-z_]+)`")


def documented_fields() -> set[str]:
    """Every `app.Model.field` named in a table row of docs/privacy.md."""
    names = set()
    for line in PRIVACY_DOC.read_text().splitlines():
        if line.startswith("|"):
            names.update(_NAME.findall(line))
    return names


def personal_fields() -> set[str]:
    names = set()
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, TEXT_OR_IDENTIFIER):
                    names.add(f"{label}.{model.__name__}.{field.name}")
    return names


def test_every_text_or_identifier_field_is_in_the_privacy_table_or_declared_not_personal():
    missing = personal_fields() - documented_fields() - NOT_PERSONAL
    assert not missing, (
        f"docs/privacy.md does not say why, for whom and for how long these are kept: {sorted(missing)}. "
        "Add a table row (purpose, readers, period, what deletes it), or, if they hold nothing about a person, "
        "add them with a reason to NOT_PERSONAL."
    )


def test_the_privacy_table_names_only_fields_that_exist():
    stale = documented_fields() - personal_fields()
    assert not stale, f"docs/privacy.md names fields that no longer exist (or are not text): {sorted(stale)}"


def test_the_not_personal_list_is_current_and_disjoint_from_the_table():
    assert NOT_PERSONAL <= personal_fields(), sorted(NOT_PERSONAL - personal_fields())
    assert not NOT_PERSONAL & documented_fields(), sorted(NOT_PERSONAL & documented_fields())


def test_every_retention_setting_is_documented_in_privacy_and_readme():
    from django.conf import settings

    names = {name for name in dir(settings) if name.startswith("SAFETY_RETENTION_")}
    privacy = PRIVACY_DOC.read_text()
    readme = (PRIVACY_DOC.parents[1] / "README.md").read_text()
    assert names and all(f"`{name}`" in privacy for name in names), sorted(n for n in names if f"`{n}`" not in privacy)
    assert "SAFETY_RETENTION_*" in readme and "docs/privacy.md" in readme
