from __future__ import annotations

from rest_framework import serializers


class MessagesQuery(serializers.Serializer):
    after_seq = serializers.IntegerField(min_value=0, required=False, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=500, required=False, default=100)


class ConversationsQuery(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["waiting", "active", "ended", "open", "all"], required=False, default="all"
    )


class RequestCreateIn(serializers.Serializer):
    topic = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=40)
    listener = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=40)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000, trim_whitespace=True)


class MessageOut(serializers.Serializer):
    conversation = serializers.IntegerField()
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    sender_role = serializers.CharField()
    sender_alias = serializers.CharField()
    text = serializers.CharField()
    client_id = serializers.CharField(allow_null=True)
    masked = serializers.BooleanField()
    created_at = serializers.CharField()


class MessagesPageOut(serializers.Serializer):
    conversation = serializers.IntegerField()
    messages = MessageOut(many=True)
    last_seq = serializers.IntegerField()
    has_more = serializers.BooleanField()


class ConversationOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    topic = serializers.CharField(allow_null=True)
    your_role = serializers.CharField()
    peer = serializers.DictField(allow_null=True)
    last_seq = serializers.IntegerField()
    read_seq = serializers.DictField()
    created_at = serializers.CharField()
    started_at = serializers.CharField(allow_null=True)
    ended_at = serializers.CharField(allow_null=True)
    end_reason = serializers.CharField(allow_null=True)
    end_reason_text = serializers.CharField(allow_null=True)


class RoomSuggestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    open = serializers.BooleanField()


class HelplineOut(serializers.Serializer):
    name = serializers.CharField()
    contact = serializers.CharField()
    kind = serializers.CharField(required=False)
    hours = serializers.CharField(required=False)
    audience = serializers.ChoiceField(choices=["all", "teen", "adult"], required=False)
    links = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="[{kind: call|text|web, href, label}]"
    )


class WaitingAlternativesOut(serializers.Serializer):
    """What a seeker nobody on shift can take may do meanwhile."""

    room = RoomSuggestionOut(allow_null=True)
    helplines = HelplineOut(many=True)


class RequestOut(serializers.Serializer):
    id = serializers.IntegerField()
    conversation = serializers.IntegerField()
    status = serializers.CharField()
    topic = serializers.CharField(allow_null=True)
    listener = serializers.CharField(allow_null=True)
    urgent = serializers.BooleanField()
    position = serializers.IntegerField(allow_null=True)
    estimated_wait_seconds = serializers.IntegerField(allow_null=True)
    estimated_wait_range_seconds = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=2,
        max_length=2,
        allow_null=True,
        help_text="[low, high] when there are too few recent matches for a single figure",
    )
    eligible_on_shift = serializers.IntegerField(
        allow_null=True, help_text="listeners on shift who could take this seeker"
    )
    alternatives = WaitingAlternativesOut(allow_null=True)
    away = serializers.BooleanField(help_text="out of the line: no open socket for a while (place kept)")
    created_at = serializers.CharField()
    widen_suggested = serializers.BooleanField()
