"""Returning seekers: keeping an account with a passphrase, signing in elsewhere, seeing past chats and favourites."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from chat.models import Conversation, ConversationStatus
from chat.services.messages import message_send
from listeners.models import Favourite
from support.api.views import WEAK_PASSPHRASE_MESSAGE
from support.models import User
from support.passphrase import TOO_REPETITIVE, TOO_SHORT, passphrase_generate, passphrase_words
from support.services import seeker_create_anonymous
from tests.factories import ListenerFactory
from tests.safety.helpers import listener_on_shift, matched_pair

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/session/login"
PASSWORD = "/api/v1/me/password"
SUGGESTION = "/api/v1/me/password/suggestion"


def seeker_client(age: int = 30) -> tuple[APIClient, dict]:
    client = APIClient()
    me = client.post("/api/v1/session/anonymous", {"age": age}, format="json").json()
    return client, me


def test_the_word_list_is_large_enough_and_plain():
    words = passphrase_words()
    assert len(words) >= 600
    assert all(word.isalpha() and word.islower() and 3 <= len(word) <= 8 for word in words)


def test_a_generated_passphrase_is_words_from_the_list_and_differs_each_time(settings):
    settings.HEARTH_PASSPHRASE_WORDS = 5
    first, second = passphrase_generate(), passphrase_generate()
    assert first != second
    parts = first.split("-")
    assert len(parts) == 5 and set(parts) <= set(passphrase_words())


def test_a_seeker_gets_a_suggestion_that_is_accepted_as_their_passphrase():
    client, _ = seeker_client()
    suggestion = client.get(SUGGESTION)
    assert suggestion.status_code == 200
    body = suggestion.json()
    assert body["min_length"] == 12 and len(body["passphrase"].split("-")) == 5
    assert client.post(PASSWORD, {"password": body["passphrase"]}, format="json").status_code == 204
    assert client.get("/api/v1/me").json()["has_password"] is True


def test_only_seekers_get_a_suggestion():
    client = APIClient()
    client.force_login(ListenerFactory())
    response = client.get(SUGGESTION)
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert APIClient().get(SUGGESTION).status_code == 403


@pytest.mark.parametrize(
    "weak, reason",
    [
        ("short-one", TOO_SHORT.format(min_length=12)),
        ("abababababababab", TOO_REPETITIVE),
        ("123456789012345", "This password is entirely numeric."),
        ("password1234", "This password is too common."),
    ],
)
def test_a_weak_passphrase_is_refused_with_every_reason_and_nothing_changes(weak, reason):
    client, _ = seeker_client()
    response = client.post(PASSWORD, {"password": weak}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "weak_passphrase" and body["message"] == WEAK_PASSPHRASE_MESSAGE
    assert reason in body["fields"]["password"]
    assert client.get("/api/v1/me").json()["has_password"] is False


def test_a_passphrase_like_the_alias_is_refused():
    client, me = seeker_client()
    response = client.post(PASSWORD, {"password": me["alias"].lower() + "!"}, format="json")
    assert response.status_code == 400 and response.json()["error"] == "weak_passphrase"


@pytest.mark.parametrize("body", [{}, {"password": 12345678901234}, {"password": ["a"] * 3}, {"password": "x" * 300}])
def test_a_malformed_passphrase_body_is_a_400_with_a_code(body):
    client, _ = seeker_client()
    response = client.post(PASSWORD, body, format="json")
    assert response.status_code == 400 and response.json()["error"] in ("invalid", "weak_passphrase")


def test_a_returning_seeker_signs_in_elsewhere_and_sees_past_chats_and_favourites():
    seeker = seeker_create_anonymous(age=30)
    listener = listener_on_shift(capacity=5)
    _, _, conversation = matched_pair(seeker=seeker, listener=listener)
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="a", text="thank you for listening")
    Conversation.objects.filter(pk=conversation.pk).update(status=ConversationStatus.ENDED, ended_at=timezone.now())
    Favourite.objects.create(seeker=seeker, listener=listener, created_at=timezone.now())
    first_device = APIClient()
    first_device.force_login(seeker)
    assert first_device.post(PASSWORD, {"password": "river-candle-orbit-maple"}, format="json").status_code == 204

    other_device = APIClient()
    signed_in = other_device.post(
        LOGIN, {"username": seeker.alias, "password": "river-candle-orbit-maple"}, format="json"
    )

    assert signed_in.status_code == 200 and signed_in.json()["alias"] == seeker.alias
    past = other_device.get("/api/v1/conversations", {"status": "ended"}).json()
    assert [c["id"] for c in past] == [conversation.pk]
    messages = other_device.get(f"/api/v1/conversations/{conversation.pk}/messages").json()["messages"]
    assert any(m.get("text") == "thank you for listening" for m in messages)
    favourites = other_device.get("/api/v1/favourites").json()["favourites"]
    assert [f["alias"] for f in favourites] == [listener.alias]


def test_passphrase_guesses_for_an_alias_are_throttled_like_every_sign_in(settings):
    settings.HEARTH_LOGIN_RATE_PER_USERNAME = 3
    client, me = seeker_client()
    client.post(PASSWORD, {"password": "river-candle-orbit-maple"}, format="json")
    guesser = APIClient()
    for _ in range(3):
        assert (
            guesser.post(LOGIN, {"username": me["alias"], "password": "wrong-guess"}, format="json").status_code == 400
        )
    blocked = guesser.post(LOGIN, {"username": me["alias"], "password": "river-candle-orbit-maple"}, format="json")
    assert blocked.status_code == 429 and blocked.json()["error"] == "rate_limited"
    assert int(blocked["Retry-After"]) > 0


def test_an_anonymous_seeker_cannot_be_signed_in_to_without_a_passphrase():
    _, me = seeker_client()
    response = APIClient().post(LOGIN, {"username": me["alias"], "password": ""}, format="json")
    assert response.status_code == 400
    assert not User.objects.get(alias=me["alias"]).has_usable_password()


def test_the_account_summary_says_what_deletion_keeps_and_for_how_long(settings):
    from tests.safety.helpers import flagged_pair

    settings.SAFETY_RETENTION_DAYS = 21
    settings.SAFETY_RETENTION_AUDIT_DAYS = 400
    seeker, _, flagged, _ = flagged_pair()
    Conversation.objects.filter(pk=flagged.pk).update(status=ConversationStatus.ENDED, ended_at=timezone.now())
    client = APIClient()
    client.force_login(seeker)

    body = client.get("/api/v1/me/account").json()

    assert body["kept_under_review"] == 1 and body["account_held"] is True and body["ended_conversations"] == 0
    assert body["retention"]["chat_days"] == 21 and body["retention"]["audit_days"] == 400
    assert body["alias"] == seeker.alias and body["has_password"] == seeker.has_usable_password()


def test_changing_a_kept_passphrase_needs_the_current_one():
    client, me = seeker_client()
    assert client.post(PASSWORD, {"password": "river-candle-orbit-maple"}, format="json").status_code == 204

    missing = client.post(PASSWORD, {"password": "lantern-meadow-quartz-otter"}, format="json")
    wrong = client.post(
        PASSWORD, {"password": "lantern-meadow-quartz-otter", "current_password": "not-it-at-all"}, format="json"
    )
    right = client.post(
        PASSWORD,
        {"password": "lantern-meadow-quartz-otter", "current_password": "river-candle-orbit-maple"},
        format="json",
    )

    assert missing.status_code == 400 and missing.json()["error"] == "current_passphrase_required"
    assert wrong.status_code == 400 and wrong.json()["error"] == "wrong_passphrase"
    assert right.status_code == 204
    assert client.get("/api/v1/me").status_code == 200  # this browser stays signed in
    login = APIClient().post(LOGIN, {"username": me["alias"], "password": "lantern-meadow-quartz-otter"}, format="json")
    assert login.status_code == 200


def test_guessing_the_current_passphrase_from_a_signed_in_browser_is_throttled(settings):
    settings.HEARTH_LOGIN_RATE_PER_USERNAME = 2
    client, _ = seeker_client()
    client.post(PASSWORD, {"password": "river-candle-orbit-maple"}, format="json")
    body = {"password": "lantern-meadow-quartz-otter", "current_password": "guess-one-two"}
    answers = [client.post(PASSWORD, body, format="json") for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 429]
    assert answers[2].json()["error"] == "rate_limited"
