"""Input serializers for the listener API (outputs are built by listeners.selectors)."""

from __future__ import annotations

import datetime as dt
import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from listeners.paging_rules import known_time_zones


class StrictIntegerField(serializers.IntegerField):
    """An integer that refuses JSON booleans, strings and fractions ("5", true and 4.5 are not 5)."""

    def to_internal_value(self, data):
        if (
            isinstance(data, bool)
            or not isinstance(data, (int, float))
            or (isinstance(data, float) and not data.is_integer())
        ):
            self.fail("invalid")
        return super().to_internal_value(int(data))


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class SlugList(serializers.ListField):
    child = serializers.CharField(max_length=40)


class ApplyIn(serializers.Serializer):
    username = serializers.CharField(max_length=40)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    alias = serializers.CharField(max_length=40, help_text="Display name seekers see: 3-24 letters and digits.")
    bio = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")
    topics = SlugList(max_length=20)
    wants_teens = StrictBooleanField(required=False, default=False)
    age = StrictIntegerField(min_value=0, max_value=120, help_text="Age in whole years; listeners are 18+.")
    # Any JSON value reaches the service, which answers anything but true with its own code.
    adult_declared = serializers.JSONField(
        required=False,
        allow_null=True,
        default=False,
        help_text="Must be exactly true: the applicant declares they are 18 or over "
        "(otherwise 400 adult_declaration_required).",
    )
    practice_replies = serializers.JSONField(
        required=False,
        allow_null=True,
        default=list,
        help_text="One reply per turn of the practice chat (GET /api/v1/listeners/apply/practice), in order.",
    )


class ProfileUpdateIn(serializers.Serializer):
    bio = serializers.CharField(max_length=500, allow_blank=True, required=False)
    topics = SlugList(max_length=20, required=False)
    accepts_direct_requests = StrictBooleanField(required=False)


class ShiftStartIn(serializers.Serializer):
    topics = SlugList(max_length=20)
    capacity = StrictIntegerField(min_value=1, max_value=5)


class AttemptIn(serializers.Serializer):
    answers = serializers.DictField(
        child=StrictIntegerField(min_value=1), allow_empty=False, help_text="{question_id: option_id}"
    )


class DecisionIn(serializers.Serializer):
    note = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")


class RatingIn(serializers.Serializer):
    score = StrictIntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(allow_blank=True, required=False, default="", help_text="Up to 1,000 characters.")


class AttemptOut(serializers.Serializer):
    module = serializers.CharField()
    score = serializers.IntegerField()
    passed = serializers.BooleanField()
    pass_mark = serializers.IntegerField()
    results = serializers.ListField(child=serializers.DictField())
    retry_after = serializers.IntegerField(allow_null=True)
    trained = serializers.BooleanField()
    status = serializers.CharField()
    activated = serializers.BooleanField()


@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "example": "22:00"})
class ClockTimeField(serializers.Field):
    """A wall-clock time written "HH:MM" (24-hour, two digits each), e.g. "07:30"."""

    _FORMAT = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
    default_error_messages = {"clock": 'Use a 24-hour time written "HH:MM", e.g. "22:00".'}

    def to_representation(self, value):
        return value.strftime("%H:%M")

    def to_internal_value(self, data):
        if not isinstance(data, str) or not self._FORMAT.fullmatch(data):
            self.fail("clock")
        hours, minutes = data.split(":")
        return dt.time(int(hours), int(minutes))


class ExactFields(serializers.Serializer):
    """Refuses fields it does not take: a PUT replaces the whole resource, so a misspelt field
    must not be silently ignored."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            extra = sorted(set(data) - set(self.fields))
            if extra:
                raise serializers.ValidationError({name: ["Unknown field."] for name in extra})
        return super().to_internal_value(data)


class QuietHoursIn(ExactFields):
    start = ClockTimeField(help_text='Local time quiet hours begin, "HH:MM".')
    end = ClockTimeField(help_text='Local time they end, "HH:MM"; before start: across midnight.')

    def validate(self, attrs):
        if attrs["start"] == attrs["end"]:
            raise serializers.ValidationError({"end": ["Quiet hours must end at another time than they start."]})
        return attrs


class PagingPreferencesIn(ExactFields):
    enabled = StrictBooleanField(help_text="Page me when the line for my topics grows and nobody on shift can take it.")
    email_enabled = StrictBooleanField(help_text="By e-mail when no Hearth page of mine is open.")
    email = serializers.EmailField(
        max_length=254, allow_blank=True, required=False, help_text="The account's address; absent: unchanged."
    )
    quiet_hours = QuietHoursIn(allow_null=True, help_text="null: no quiet hours.")
    time_zone = serializers.CharField(max_length=64, help_text='An IANA time zone, e.g. "Europe/London".')

    def validate_time_zone(self, value):
        if value not in known_time_zones():
            raise serializers.ValidationError('Use an IANA time zone name, e.g. "Europe/London".')
        return value
