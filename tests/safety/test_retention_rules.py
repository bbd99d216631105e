"""Every retention rule of docs/privacy.md, with data on both sides of its limit and what is under review."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.models import ChatRequest, Conversation, Offer
from chat.services.messages import message_send
from listeners.models import Rating
from rooms.models import ModerationAction, RoomMessage, RoomMessageStatus, RoomModerationAction, RoomPresence
from rooms.services import room_message_remove
from safety.audit import audit_record
from safety.jobs import retention as retention_job
from safety.models import (
    AuditRecord,
    DeviceBan,
    DeviceLink,
    EmergencyCall,
    FlagSource,
    FlagStatus,
    Report,
    SafetyFlag,
    Sanction,
    SanctionKind,
)
from safety.retention import retention_preview, retention_run, retention_step
from safety.services import flag_resolve
from support.models import Connection, User
from support.services import seeker_create_anonymous
from tests.factories import SeekerFactory
from tests.rooms.helpers import make_member, make_moderator, make_room
from tests.safety.helpers import CRISIS, matched_pair, staff_member

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def _end(conversation, *, days_ago: float) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        status="ended", ended_at=ago(days=days_ago), last_activity_at=ago(days=days_ago)
    )


def _room_message(room, sender, *, days_ago: float, status=RoomMessageStatus.VISIBLE, flag=None, text="room words"):
    room.last_seq += 1
    room.save(update_fields=["last_seq"])
    return RoomMessage.objects.create(
        room=room, seq=room.last_seq, sender=sender, text=text, status=status, flag=flag, created_at=ago(days=days_ago)
    )


def _room_flag(*, status=FlagStatus.OPEN, resolved_days_ago=None, excerpt="held words"):
    return SafetyFlag.objects.create(
        source=FlagSource.CLASSIFIER,
        level=2,
        excerpt=excerpt,
        status=status,
        resolved_at=ago(days=resolved_days_ago) if resolved_days_ago is not None else None,
    )


# --- room messages -------------------------------------------------------------------


def test_room_messages_go_after_their_period_unless_under_review(settings):
    settings.SAFETY_RETENTION_ROOM_MESSAGE_DAYS = 30
    room = make_room()
    member = make_member(room)
    old = _room_message(room, member, days_ago=31)
    recent = _room_message(room, member, days_ago=29)
    held = _room_message(room, member, days_ago=40, status=RoomMessageStatus.HELD, flag=_room_flag())
    hidden = _room_message(room, member, days_ago=40, status=RoomMessageStatus.HIDDEN)
    open_flag = _room_message(room, member, days_ago=40, flag=_room_flag(status=FlagStatus.CLAIMED))
    reviewed = _room_message(
        room, member, days_ago=40, flag=_room_flag(status=FlagStatus.RESOLVED, resolved_days_ago=1)
    )

    assert retention_run()["room_messages"] == 2

    remaining = set(RoomMessage.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, held.pk, hidden.pk, open_flag.pk}
    assert old.pk not in remaining and reviewed.pk not in remaining


def test_a_removed_room_message_text_goes_when_its_flag_is_resolved(settings):
    settings.SAFETY_RETENTION_EXCERPT_DAYS = 7
    room = make_room()
    moderator = make_moderator(room)
    member = make_member(room)
    flag = _room_flag(excerpt="")
    message = _room_message(room, member, days_ago=0, status=RoomMessageStatus.HELD, flag=flag, text="call me on 555")
    room_message_remove(moderator=moderator, room_id=room.pk, seq=message.seq)
    removal = RoomModerationAction.objects.get(message=message, action=ModerationAction.MESSAGE_REMOVED)
    assert removal.detail["excerpt"] == "call me on 555"

    RoomModerationAction.objects.filter(pk=removal.pk).update(created_at=ago(days=30))
    assert "room_removal_excerpts" not in retention_run()  # the flag is still open: still under review
    assert RoomModerationAction.objects.get(pk=removal.pk).detail["excerpt"] == "call me on 555"

    flag_resolve(staff=staff_member(), flag_id=flag.pk, note="checked")
    assert retention_run()["room_removal_excerpts"] == 1
    detail = RoomModerationAction.objects.get(pk=removal.pk).detail
    assert "excerpt" not in detail and detail["seq"] == message.seq  # the record of the removal itself stays


def test_an_unflagged_removal_keeps_its_excerpt_for_the_excerpt_period_only(settings):
    settings.SAFETY_RETENTION_EXCERPT_DAYS = 7
    room = make_room()
    moderator = make_moderator(room)
    member = make_member(room)
    older = _room_message(room, member, days_ago=0, text="older unkind words")
    newer = _room_message(room, member, days_ago=0, text="newer unkind words")
    room_message_remove(moderator=moderator, room_id=room.pk, seq=older.seq)
    room_message_remove(moderator=moderator, room_id=room.pk, seq=newer.seq)
    RoomModerationAction.objects.filter(message=older).update(created_at=ago(days=8))
    RoomModerationAction.objects.filter(message=newer).update(created_at=ago(days=6))

    assert retention_run()["room_removal_excerpts"] == 1

    assert "excerpt" not in RoomModerationAction.objects.get(message=older).detail
    assert RoomModerationAction.objects.get(message=newer).detail["excerpt"] == "newer unkind words"


# --- flags, reports, ratings ----------------------------------------------------------


def test_flag_excerpts_go_the_excerpt_period_after_resolution(settings):
    settings.SAFETY_RETENTION_EXCERPT_DAYS = 7
    long_resolved = _room_flag(status=FlagStatus.RESOLVED, resolved_days_ago=8)
    just_resolved = _room_flag(status=FlagStatus.RESOLVED, resolved_days_ago=6)
    still_open = _room_flag()

    assert retention_run()["flag_excerpts"] == 1

    assert SafetyFlag.objects.get(pk=long_resolved.pk).excerpt == ""
    assert SafetyFlag.objects.get(pk=just_resolved.pk).excerpt == "held words"
    assert SafetyFlag.objects.get(pk=still_open.pk).excerpt == "held words"


def test_flags_without_a_conversation_go_the_retention_period_after_resolution(settings):
    settings.SAFETY_RETENTION_DAYS = 30
    old = _room_flag(status=FlagStatus.RESOLVED, resolved_days_ago=31)
    recent = _room_flag(status=FlagStatus.RESOLVED, resolved_days_ago=29)
    unresolved = _room_flag()
    SafetyFlag.objects.filter(pk=unresolved.pk).update(created_at=ago(days=400))

    assert retention_run()["detached_flags"] == 1

    assert set(SafetyFlag.objects.values_list("pk", flat=True)) == {recent.pk, unresolved.pk}
    assert old.pk not in set(SafetyFlag.objects.values_list("pk", flat=True))


def test_report_texts_and_rating_comments_go_with_their_conversation(settings):
    settings.SAFETY_RETENTION_DAYS = 30
    seeker, listener, conversation = matched_pair()
    flag = _room_flag(status=FlagStatus.RESOLVED, resolved_days_ago=40)
    SafetyFlag.objects.filter(pk=flag.pk).update(conversation=conversation)
    Report.objects.create(
        reporter=seeker,
        subject=listener,
        conversation=conversation,
        target_key=f"user:{listener.pk}",
        reason="other",
        text="my words about them",
        flag=flag,
        created_at=ago(days=40),
    )
    Rating.objects.create(
        conversation=conversation,
        listener=listener,
        seeker=seeker,
        score=2,
        comment="my comment",
        created_at=ago(days=40),
    )
    _end(conversation, days_ago=31)

    assert retention_run()["conversations"] == 1

    assert not Report.objects.exists() and not Rating.objects.exists()


# --- queue records ----------------------------------------------------------------------


def test_closed_requests_and_their_offers_go_after_the_queue_period_once_the_chat_ended(settings):
    settings.SAFETY_RETENTION_QUEUE_DAYS = 7
    _, _, old = matched_pair()
    _, _, recent = matched_pair()
    _, _, still_active = matched_pair()
    _, _, reviewed = matched_pair()
    _end(old, days_ago=1)
    _end(recent, days_ago=1)
    _end(reviewed, days_ago=1)
    Report.objects.create(
        reporter=reviewed.seeker,
        subject=reviewed.listener,
        conversation=reviewed,
        target_key="user:x",
        reason="other",
        created_at=ago(days=9),
    )
    ChatRequest.objects.filter(conversation__in=[old, still_active, reviewed]).update(closed_at=ago(days=8))
    ChatRequest.objects.filter(conversation=recent).update(closed_at=ago(days=6))

    assert retention_run()["queue_records"] == 1

    assert not ChatRequest.objects.filter(conversation=old).exists()
    assert not Offer.objects.filter(request__conversation=old).exists()
    for kept in (recent, still_active, reviewed):
        assert ChatRequest.objects.filter(conversation=kept).exists()
    assert Conversation.objects.filter(pk=old.pk).exists()  # the chat keeps its own period


# --- accounts --------------------------------------------------------------------------


def _anonymous(*, days_ago: float) -> User:
    user = seeker_create_anonymous(age=30)
    User.objects.filter(pk=user.pk).update(date_joined=ago(days=days_ago), last_login=ago(days=days_ago))
    DeviceLink.objects.create(user=user, device_hash=f"{user.pk:064d}")
    return User.objects.get(pk=user.pk)


def test_unused_anonymous_accounts_go_with_their_device_links(settings):
    settings.SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS = 60
    gone = _anonymous(days_ago=61)
    stays = _anonymous(days_ago=59)

    assert retention_run()["seeker_accounts"] == 1

    assert not User.objects.filter(pk=gone.pk).exists()
    assert not DeviceLink.objects.filter(user_id=gone.pk).exists()
    assert User.objects.filter(pk=stays.pk).exists() and DeviceLink.objects.filter(user=stays).exists()


def test_an_old_anonymous_account_that_chatted_recently_is_kept(settings):
    settings.SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS = 60
    seeker = _anonymous(days_ago=100)
    _, _, conversation = matched_pair(seeker=seeker)
    _end(conversation, days_ago=10)
    User.objects.filter(pk=seeker.pk).update(last_login=ago(days=100))

    assert "seeker_accounts" not in retention_run()
    assert User.objects.filter(pk=seeker.pk).exists()


def test_an_old_anonymous_account_that_wrote_in_a_room_recently_is_kept(settings):
    from rooms.models import RoomMembership

    settings.SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS = 60
    room = make_room()
    active, idle = _anonymous(days_ago=100), _anonymous(days_ago=100)
    RoomMembership.objects.create(room=room, user=active, joined_at=ago(days=100), last_message_at=ago(days=3))
    RoomMembership.objects.create(room=room, user=idle, joined_at=ago(days=100), last_message_at=ago(days=70))

    assert retention_run()["seeker_accounts"] == 1

    assert User.objects.filter(pk=active.pk).exists() and not User.objects.filter(pk=idle.pk).exists()


def test_an_account_kept_with_a_password_lasts_until_a_year_unused(settings):
    settings.SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS = 60
    settings.SAFETY_RETENTION_KEPT_ACCOUNT_DAYS = 365
    kept_recent = SeekerFactory()  # a usable password: the seeker chose to keep this account
    kept_old = SeekerFactory()
    User.objects.filter(pk=kept_recent.pk).update(date_joined=ago(days=364), last_login=ago(days=364))
    User.objects.filter(pk=kept_old.pk).update(date_joined=ago(days=366), last_login=ago(days=366))

    assert retention_run()["seeker_accounts"] == 1

    assert User.objects.filter(pk=kept_recent.pk).exists()
    assert not User.objects.filter(pk=kept_old.pk).exists()


def test_an_unused_account_under_review_is_closed_then_deleted_when_the_review_ends(settings):
    settings.SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS = 60
    seeker = _anonymous(days_ago=100)
    conversation, flag = _flagged_for(seeker)
    _end(conversation, days_ago=90)
    User.objects.filter(pk=seeker.pk).update(last_login=ago(days=100))

    assert retention_run()["seeker_accounts"] == 1
    closed = User.objects.get(pk=seeker.pk)
    assert closed.deleted_at is not None and not closed.is_active and closed.alias == f"deleted-{seeker.pk}"
    assert not DeviceLink.objects.filter(user=closed).exists()
    assert Conversation.objects.filter(pk=conversation.pk).exists()
    assert "seeker_accounts" not in retention_run()  # nothing more to do while the review lasts

    flag_resolve(staff=staff_member(), flag_id=flag.pk, note="done")
    assert retention_run()["seeker_accounts"] == 1
    assert not User.objects.filter(pk=seeker.pk).exists()
    assert not Conversation.objects.filter(pk=conversation.pk).exists()


def _flagged_for(seeker):
    _, _, conversation = matched_pair(seeker=seeker)
    result = message_send(sender=seeker, conversation_id=conversation.pk, client_id="crisis-1", text=CRISIS)
    return conversation, SafetyFlag.objects.get(message=result.message)


def test_a_banned_account_is_kept_while_the_ban_is_in_force(settings):
    settings.SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS = 60
    seeker = _anonymous(days_ago=100)
    Sanction.objects.create(
        subject=seeker,
        kind=SanctionKind.BAN,
        note="n",
        created_by=staff_member(),
        created_at=ago(days=100),
        review_at=timezone.now() + DAY,
    )

    retention_run()

    assert User.objects.filter(pk=seeker.pk).exists()
    assert Sanction.objects.filter(subject=seeker).exists()


# --- bans, sanctions, audit, presence, sessions ------------------------------------------


def test_device_bans_go_when_they_expire_and_sanctions_the_audit_period_after_they_ended(settings):
    settings.SAFETY_RETENTION_AUDIT_DAYS = 730
    staff = staff_member()
    seeker = SeekerFactory()
    ended_long_ago = Sanction.objects.create(
        subject=seeker,
        kind=SanctionKind.WARNING,
        note="n",
        created_by=staff,
        created_at=ago(days=900),
        expires_at=ago(days=731),
    )
    ended_recently = Sanction.objects.create(
        subject=seeker,
        kind=SanctionKind.BAN,
        note="n",
        created_by=staff,
        created_at=ago(days=900),
        review_at=ago(days=800),
        lifted_at=ago(days=729),
    )
    expired_ban = DeviceBan.objects.create(
        device_hash="a" * 64, sanction=ended_recently, created_at=ago(days=900), expires_at=ago(days=729)
    )
    active_ban = DeviceBan.objects.create(
        device_hash="b" * 64, sanction=ended_recently, created_at=ago(days=1), expires_at=timezone.now() + DAY
    )

    counts = retention_run()

    assert counts["sanctions"] == 1 and counts["device_bans"] == 1
    assert not Sanction.objects.filter(pk=ended_long_ago.pk).exists()
    assert Sanction.objects.filter(pk=ended_recently.pk).exists()
    assert not DeviceBan.objects.filter(pk=expired_ban.pk).exists()
    assert DeviceBan.objects.filter(pk=active_ban.pk).exists()


def test_audit_and_moderation_records_are_kept_for_the_audit_period(settings):
    settings.SAFETY_RETENTION_AUDIT_DAYS = 730
    staff = staff_member()
    old = audit_record(actor=staff, action="flag.claim", target_type="flag", target_id=1, now=ago(days=731))
    recent = audit_record(actor=staff, action="flag.claim", target_type="flag", target_id=2, now=ago(days=729))
    room = make_room()
    RoomModerationAction.objects.create(room=room, action=ModerationAction.SLOW_MODE, created_at=ago(days=731))
    kept_action = RoomModerationAction.objects.create(
        room=room, action=ModerationAction.SLOW_MODE, created_at=ago(days=729)
    )

    counts = retention_run()

    assert counts["audit_records"] == 1 and counts["room_moderation_records"] == 1
    assert list(AuditRecord.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk
    assert list(RoomModerationAction.objects.values_list("pk", flat=True)) == [kept_action.pk]
    with pytest.raises(PermissionError):
        AuditRecord.objects.filter(pk=recent.pk).delete()  # still append-only for everyone else


def test_emergency_call_records_are_kept_for_the_audit_period(settings):
    settings.SAFETY_RETENTION_AUDIT_DAYS = 730
    staff = staff_member()
    flag = _room_flag()
    old = EmergencyCall.objects.create(
        flag=flag, recorded_by=staff, contacted="crisis team", note="called", created_at=ago(days=731)
    )
    recent = EmergencyCall.objects.create(
        flag=flag, recorded_by=staff, contacted="crisis team", note="called", created_at=ago(days=729)
    )

    assert retention_run()["emergency_calls"] == 1

    assert list(EmergencyCall.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk


def test_room_presence_rows_without_a_heartbeat_for_the_presence_period_go(settings):
    settings.SAFETY_RETENTION_PRESENCE_HOURS = 24
    room = make_room()
    member = make_member(room)
    RoomPresence.objects.create(
        room=room, user=member, channel_name="stale", joined_at=ago(hours=30), last_seen_at=ago(hours=25)
    )
    RoomPresence.objects.create(
        room=room, user=member, channel_name="fresh", joined_at=ago(hours=30), last_seen_at=ago(hours=23)
    )

    assert retention_run()["room_presence"] == 1

    assert list(RoomPresence.objects.values_list("channel_name", flat=True)) == ["fresh"]


def test_presence_rows_without_a_heartbeat_for_the_presence_period_go(settings):
    settings.SAFETY_RETENTION_PRESENCE_HOURS = 24
    user = SeekerFactory()
    Connection.objects.create(user=user, channel_name="stale", last_seen_at=ago(hours=25))
    Connection.objects.create(user=user, channel_name="fresh", last_seen_at=ago(hours=23))

    assert retention_run()["connections"] == 1

    assert list(Connection.objects.values_list("channel_name", flat=True)) == ["fresh"]


def test_expired_sessions_are_cleared_through_the_session_store():
    store = import_module(django_settings.SESSION_ENGINE).SessionStore
    expired, live = store(), store()
    expired.set_expiry(1)
    expired.create()
    live.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=ago(seconds=5))

    assert retention_run()["sessions"] == 1

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


# --- running: batches, dry run, the scheduler ------------------------------------------------


def _old_anonymous_accounts(n):
    return [_anonymous(days_ago=100).pk for _ in range(n)]


def test_a_run_works_through_more_rows_than_one_batch(settings):
    settings.SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS = 60
    ids = _old_anonymous_accounts(7)

    counts, pending = retention_step(batch_size=3)
    assert counts["seeker_accounts"] == 3 and pending == ["seeker_accounts"]
    assert User.objects.filter(pk__in=ids).count() == 4

    assert retention_run(batch_size=3)["seeker_accounts"] == 4
    assert not User.objects.filter(pk__in=ids).exists()
    assert retention_run(batch_size=3) == {}  # idempotent: a second run finds nothing


def test_a_dry_run_counts_by_kind_and_changes_nothing(settings):
    settings.SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS = 60
    ids = _old_anonymous_accounts(2)
    room = make_room()
    _room_message(room, make_member(room), days_ago=400)
    out = StringIO()

    with CaptureQueriesContext(connection) as queries:
        call_command("safety_retention", "--dry-run", stdout=out)

    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert "seeker_accounts: 2" in out.getvalue() and "room_messages: 1" in out.getvalue()
    assert User.objects.filter(pk__in=ids).count() == 2 and RoomMessage.objects.count() == 1
    assert retention_preview()["seeker_accounts"] == 2


def test_the_scheduler_runs_retention_once_an_interval_in_batches_until_nothing_is_due(settings):
    settings.SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS = 60
    settings.SAFETY_RETENTION_INTERVAL_SECONDS = 3600
    assert "safety.jobs.retention" in django_settings.HEARTH_SCHEDULED_JOBS
    ids = _old_anonymous_accounts(7)
    start = timezone.now().replace(minute=0, second=0, microsecond=0)

    ran = [retention_job(now=start + timedelta(seconds=tick), batch_size=3) for tick in range(5)]

    assert ran == [True, True, True, False, False]  # 3 + 3 + 1, then the pass is closed
    assert not User.objects.filter(pk__in=ids).exists()
    later = _old_anonymous_accounts(1)
    assert retention_job(now=start + timedelta(minutes=30), batch_size=3) is False  # same interval: waits
    assert retention_job(now=start + timedelta(hours=1), batch_size=3) is True
    assert not User.objects.filter(pk__in=later).exists()


def test_retention_logs_counts_by_kind_never_content(settings, caplog):
    settings.SAFETY_RETENTION_DAYS = 30
    seeker, _, conversation = matched_pair()
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="w", text="words nobody else should see")
    _end(conversation, days_ago=31)

    with caplog.at_level("INFO", logger="hearth.retention"):
        retention_run()

    assert "conversations=1" in caplog.text
    assert "nobody else" not in caplog.text and seeker.alias not in caplog.text
