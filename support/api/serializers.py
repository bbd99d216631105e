from __future__ import annotations

from rest_framework import serializers

from support.models import Topic, User

#: The ages a seeker may give; the talk page reads them from here (``json_script``).
AGE_MIN, AGE_MAX = 0, 120


class AnonymousSessionIn(serializers.Serializer):
    age = serializers.IntegerField(min_value=AGE_MIN, max_value=AGE_MAX, help_text="Age in whole years.")
    remember = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: this browser keeps the session for SESSION_COOKIE_AGE; false (default): it ends when the browser closes.",
    )

    def to_internal_value(self, data):
        if isinstance(data, dict) and "remember" in data and not isinstance(data["remember"], bool):
            raise serializers.ValidationError({"remember": ["true or false."]})
        # A JSON boolean is an int in Python; `true` is not an age.
        if isinstance(data, dict) and isinstance(data.get("age"), bool):
            raise serializers.ValidationError({"age": ["A whole number is required."]})
        if isinstance(data, dict) and isinstance(data.get("age"), float) and not float(data["age"]).is_integer():
            raise serializers.ValidationError({"age": ["A whole number is required."]})
        return super().to_internal_value(data)


class LoginIn(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=True)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class SetPasswordIn(serializers.Serializer):
    # The strength rule is support.passphrase.passphrase_check's alone; only the size is checked here.
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    current_password = serializers.CharField(
        max_length=256,
        trim_whitespace=False,
        required=False,
        allow_blank=True,
        help_text="Needed to change a passphrase already set; checked through the sign-in throttle.",
    )


class PassphraseSuggestionOut(serializers.Serializer):
    passphrase = serializers.CharField(help_text="HEARTH_PASSPHRASE_WORDS random words joined by hyphens.")
    min_length = serializers.IntegerField(help_text="The shortest passphrase accepted (HEARTH_PASSPHRASE_MIN_LENGTH).")


class PrivacyAcceptIn(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=999_999_999, help_text="The version shown.")

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("version"), bool):
            raise serializers.ValidationError({"version": ["A whole number is required."]})
        return super().to_internal_value(data)


class PrivacyNoticeOut(serializers.Serializer):
    version = serializers.IntegerField(help_text="The current version (HEARTH_PRIVACY_NOTICE_VERSION).")
    accepted = serializers.BooleanField(help_text="This browser accepted the current version.")
    recorded = serializers.BooleanField(required=False, help_text="POST: this acceptance was counted.")
    url = serializers.CharField(help_text="The full notice.")


class MeOut(serializers.ModelSerializer):
    is_safety_staff = serializers.SerializerMethodField()
    has_password = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "alias", "role", "age_group", "is_safety_staff", "has_password"]

    def get_is_safety_staff(self, user) -> bool:
        from support.roles import is_safety_staff

        return is_safety_staff(user)

    def get_has_password(self, user) -> bool:
        return user.has_usable_password()


class TopicOut(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["slug", "name", "description", "display_order"]


class HelplineOut(serializers.Serializer):
    name = serializers.CharField()
    contact = serializers.CharField()
    kind = serializers.CharField()
    hours = serializers.CharField()
    audience = serializers.ChoiceField(choices=["all", "teen", "adult"], required=False)
    links = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="[{kind: call|text|web, href, label}]"
    )


class ErrorOut(serializers.Serializer):
    error = serializers.CharField()
    message = serializers.CharField()
