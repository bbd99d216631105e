"""Input and output shapes of the safety REST API."""

from __future__ import annotations

from rest_framework import serializers

from safety.models import ReportReason


class StrictInt(serializers.IntegerField):
    """An integer that refuses JSON booleans and fractional numbers."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, float) and not data.is_integer()) or isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ReportIn(serializers.Serializer):
    conversation = StrictInt(min_value=1, max_value=2**63 - 1)
    seq = StrictInt(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        allow_null=True,
        help_text="Report this message; leave out to report the other person.",
    )
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    text = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="", trim_whitespace=True)


class ReportOut(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    reason_label = serializers.CharField()
    target = serializers.CharField()
    conversation = serializers.IntegerField(allow_null=True)
    created_at = serializers.CharField()
    outcome = serializers.CharField()
    outcome_text = serializers.CharField()


class BlockIn(serializers.Serializer):
    conversation = StrictInt(min_value=1, max_value=2**63 - 1)


class BlockOut(serializers.Serializer):
    blocked = serializers.BooleanField()
    chat_ended = serializers.BooleanField()


class HistoryDeleteOut(serializers.Serializer):
    deleted = serializers.IntegerField()
    kept_under_review = serializers.IntegerField()
    kept_open = serializers.IntegerField()
    message = serializers.CharField()


class RetentionFiguresOut(serializers.Serializer):
    chat_days = serializers.IntegerField(help_text="SAFETY_RETENTION_DAYS")
    room_message_days = serializers.IntegerField(help_text="SAFETY_RETENTION_ROOM_MESSAGE_DAYS")
    anonymous_account_days = serializers.IntegerField(help_text="SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS")
    kept_account_days = serializers.IntegerField(help_text="SAFETY_RETENTION_KEPT_ACCOUNT_DAYS")
    audit_days = serializers.IntegerField(help_text="SAFETY_RETENTION_AUDIT_DAYS")


class AccountSummaryOut(serializers.Serializer):
    alias = serializers.CharField()
    has_password = serializers.BooleanField()
    ended_conversations = serializers.IntegerField(help_text="ended chats a deletion would delete now")
    kept_under_review = serializers.IntegerField(help_text="ended chats under safety review, kept until it ends")
    account_held = serializers.BooleanField(help_text="true: a deletion would close the account, not delete it")
    retention = RetentionFiguresOut()


class AccountDeleteOut(serializers.Serializer):
    account = serializers.ChoiceField(choices=["deleted", "closed"])
    deleted_conversations = serializers.IntegerField()
    deleted_room_messages = serializers.IntegerField()
    kept_under_review = serializers.IntegerField()
    ended_open_chats = serializers.IntegerField()
    message = serializers.CharField()


class NoteIn(serializers.Serializer):
    note = serializers.CharField(max_length=2000, trim_whitespace=True)


class TargetNoteIn(NoteIn):
    target = serializers.ChoiceField(choices=["seeker", "listener"])


class MuteIn(TargetNoteIn):
    minutes = StrictInt(min_value=1)


class SuspendIn(NoteIn):
    until = serializers.DateTimeField(required=False, allow_null=True, default=None)
    review_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class EmergencyCallIn(NoteIn):
    contacted = serializers.CharField(max_length=200, help_text="Who was called: service and place.")
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
