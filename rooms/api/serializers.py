from __future__ import annotations

from rest_framework import serializers

from support.models import AgeGroup


class OpeningHoursIn(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday")
    opens_at = serializers.TimeField(help_text="UTC, HH:MM")
    closes_at = serializers.TimeField(help_text="UTC, HH:MM; after opens_at")

    def validate(self, data):
        if data["closes_at"] <= data["opens_at"]:
            raise serializers.ValidationError({"closes_at": ["Must be after opens_at."]})
        return data


class RoomCreateIn(serializers.Serializer):
    topic = serializers.SlugField(max_length=40)
    audience = serializers.ChoiceField(choices=AgeGroup.choices)
    name = serializers.CharField(max_length=80, trim_whitespace=True)
    guideline = serializers.CharField(max_length=600, trim_whitespace=True)
    capacity = serializers.IntegerField(min_value=1, max_value=500, default=30)
    hours = OpeningHoursIn(many=True, required=False, default=list)


class ModeratorGrantIn(serializers.Serializer):
    listener = serializers.CharField(max_length=40, help_text="The listener's alias.")


class HoursOut(serializers.Serializer):
    weekday = serializers.IntegerField()
    opens_at = serializers.CharField()
    closes_at = serializers.CharField()


class RoomOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    topic = serializers.CharField()
    audience = serializers.CharField()
    guideline = serializers.CharField()
    capacity = serializers.IntegerField()
    slow_mode_seconds = serializers.IntegerField()
    hours = HoursOut(many=True)
    open = serializers.BooleanField()
    next_opening = serializers.DateTimeField(allow_null=True)
    member_count = serializers.IntegerField()
    here_count = serializers.IntegerField()
    full = serializers.BooleanField()


class RoomMessageOut(serializers.Serializer):
    room = serializers.IntegerField()
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    sender_role = serializers.CharField()
    sender_alias = serializers.CharField()
    text = serializers.CharField()
    client_id = serializers.CharField(allow_null=True)
    masked = serializers.BooleanField()
    status = serializers.CharField()
    removed = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class RoomMessagesOut(serializers.Serializer):
    messages = RoomMessageOut(many=True)
    has_more = serializers.BooleanField()
    last_seq = serializers.IntegerField()


class ModerationActionOut(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    target = serializers.CharField(allow_null=True)
    message_seq = serializers.IntegerField(allow_null=True)
    detail = serializers.DictField()
    created_at = serializers.DateTimeField()


class RoomReportsQuery(serializers.Serializer):
    """Query parameters for the reported-messages lists."""

    status = serializers.ChoiceField(
        choices=["visible", "held", "hidden", "removed"],
        required=False,
        help_text="Only messages in this state now (hidden = hidden pending review after reports).",
    )
    limit = serializers.IntegerField(min_value=1, max_value=200, default=50, help_text="1–200 (default 50).")


class StaffRoomReportsQuery(RoomReportsQuery):
    room = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, help_text="Only this room.")


class RoomReportOut(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="The reporter's words (empty if they gave none).")
    reporter = serializers.CharField(
        allow_null=True,
        help_text="The reporter's alias for safety staff; null for room moderators. Never an account id.",
    )
    created_at = serializers.DateTimeField()


class ReportedRoomMessageOut(serializers.Serializer):
    room = serializers.IntegerField()
    room_name = serializers.CharField()
    topic = serializers.CharField()
    audience = serializers.CharField()
    seq = serializers.IntegerField()
    sender_alias = serializers.CharField(allow_blank=True)
    sender_role = serializers.ChoiceField(choices=["member", "moderator"])
    text = serializers.CharField(
        allow_blank=True, help_text="The message; for a removed one, the excerpt the removal record kept."
    )
    removed = serializers.BooleanField()
    masked = serializers.BooleanField()
    status = serializers.ChoiceField(choices=["visible", "held", "hidden", "removed"])
    created_at = serializers.DateTimeField()
    report_count = serializers.IntegerField()
    last_reported_at = serializers.DateTimeField()
    reports = RoomReportOut(many=True)


class ReportedRoomMessagesOut(serializers.Serializer):
    messages = ReportedRoomMessageOut(many=True)
    has_more = serializers.BooleanField(help_text="More reported messages than the limit.")
