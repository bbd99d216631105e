"""Input serializers for the listener API (outputs are built by listeners.selectors)."""

from __future__ import annotations

from rest_framework import serializers


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
