"""Reads for the listener program, including the matching candidates."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Subquery
from django.utils import timezone

from chat.matching import Candidate
from listeners.models import ListenerProfile, ListenerStatus, Shift, listener_may_take_chats, suspended_listener_q
from listeners.wellbeing import DEBRIEF_PROMPT


def shift_open_for(listener_id: int) -> Shift | None:
    return Shift.objects.filter(listener_id=listener_id, ended_at__isnull=True).first()


def shift_payload(shift: Shift | None) -> dict | None:
    if shift is None:
        return None
    ends_at = shift.started_at + timedelta(seconds=settings.LISTENERS_MAX_SHIFT_SECONDS)
    return {
        "id": shift.pk,
        "topics": sorted(topic.slug for topic in shift.topics.all()),
        "capacity": shift.capacity,
        "started_at": shift.started_at.isoformat().replace("+00:00", "Z"),
        "max_end_at": ends_at.isoformat().replace("+00:00", "Z"),
        "chats_taken": shift.chats_taken,
        "chats_escalated": shift.hard_chats,  # the wire name of hard chats
    }


def shift_payload_for_listener(user) -> dict | None:
    if not user.is_listener:
        return None
    return shift_payload(shift_open_for(user.pk))


def listener_pauses(user, *, now=None) -> dict:
    """What stops offers reaching this listener now, for the console to rebuild on (re)connect:
    a wellbeing pause (until when) and a safety review of one of their messages."""
    now = now or timezone.now()
    profile = ListenerProfile.objects.filter(user_id=user.pk).only("paused_until", "held_for_review").first()
    if profile is None:
        return {"paused_until": None, "prompt": None, "held_for_review": False}
    paused = profile.paused_until if profile.paused_until and profile.paused_until > now else None
    return {
        "paused_until": _iso(paused),
        "prompt": DEBRIEF_PROMPT if paused else None,
        "held_for_review": profile.held_for_review,
    }


def listener_candidates(*, now=None) -> list[Candidate]:
    """Every listener on an open shift who is connected, with their load now.

    Load counts active chats plus pending offers: an offer holds a seat so a
    listener is never offered more than their capacity. Read in two statements
    (``listeners.candidates_sql``): this runs in every dispatch round.
    """
    from listeners.candidates_sql import open_shifts

    now = now or timezone.now()
    grace_cutoff = now - timedelta(seconds=settings.MATCHING_LISTENER_GRACE_SECONDS)
    max_start = now - timedelta(seconds=settings.LISTENERS_MAX_SHIFT_SECONDS)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    shifts, topic_ids = open_shifts(present_since=grace_cutoff, day_start=day_start)
    candidates = []
    for shift in shifts:
        if not shift.has_profile or not listener_may_take_chats(
            status=shift.profile_status, trained_at=shift.trained_at
        ):
            continue
        available = (
            shift.present
            and shift.started_at > max_start
            and (shift.paused_until is None or shift.paused_until <= now)
            and not shift.held_for_review
            and shift.accepted_today < settings.LISTENERS_DAILY_CHAT_CAP
        )
        candidates.append(
            Candidate(
                listener_id=shift.listener_id,
                topic_ids=frozenset(topic_ids[shift.shift_id]),
                capacity=shift.capacity,
                load=shift.active_chats + shift.pending_offers,
                idle_since=shift.idle_since,
                approved_for_teens=shift.approved_for_teens,
                approved_for_adults=shift.approved_for_adults,
                accepts_direct_requests=shift.accepts_direct_requests,
                available=available,
            )
        )
    return candidates


# --- profiles, stats and feedback ---------------------------------------------


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def chats_helped(listener_id: int) -> int:
    """Chats this listener joined (every accepted offer counts, including hand-overs)."""
    from django.db.models import Sum

    return Shift.objects.filter(listener_id=listener_id).aggregate(n=Sum("chats_taken"))["n"] or 0


def released_ratings(listener_id: int):
    """The ratings a listener, and anyone looking at them, may see: those released in a batch.

    A rating is never visible on its own or soon after its chat: it waits for
    a release of at least ``LISTENERS_FEEDBACK_MIN_BATCH`` new ratings, at most
    one every ``LISTENERS_FEEDBACK_RELEASE_DAYS`` (``listeners.feedback.feedback_release``),
    so reading averages and comments before and after each chat ties nothing
    to it. Staff follow-up of low ratings reads them all.
    """
    from listeners.models import ListenerProfile, Rating

    through = ListenerProfile.objects.filter(user_id=listener_id).values("feedback_released_through")
    return Rating.objects.filter(listener_id=listener_id, created_at__lte=Subquery(through))


def rating_summary(listener_id: int) -> tuple[float | None, int]:
    from django.db.models import Avg

    row = released_ratings(listener_id).aggregate(avg=Avg("score"), n=Count("id"))
    average = round(float(row["avg"]), 2) if row["avg"] is not None else None
    return average, row["n"]


def _public_rating(average: float | None, count: int) -> dict:
    """Average and count, with the average hidden below LISTENERS_RATING_MIN_COUNT ratings."""
    shown = count >= settings.LISTENERS_RATING_MIN_COUNT
    return {"average": average if shown else None, "count": count, "shown": shown}


def listener_level(listener_id: int) -> int:
    from listeners.levels import level_for

    average, count = rating_summary(listener_id)
    return level_for(
        chats_helped=chats_helped(listener_id),
        rating_average=average,
        rating_count=count,
        min_count=settings.LISTENERS_RATING_MIN_COUNT,
    )


def listener_public_profile(*, alias: str) -> dict:
    """What anyone signed in may see about an active listener. Unknown or inactive: not found."""
    from listeners.models import ListenerProfile
    from support.errors import NotFoundOrForbidden

    profile = (
        ListenerProfile.objects.select_related("user")
        .prefetch_related("topics")
        .filter(user__alias=alias, status=ListenerStatus.ACTIVE, user__is_active=True)
        .first()
    )
    if profile is None:
        raise NotFoundOrForbidden()
    return public_profile_payload(profile)


def public_profile_payload(profile) -> dict:
    from listeners.levels import level_for

    helped = chats_helped(profile.user_id)
    average, count = rating_summary(profile.user_id)
    return {
        "alias": profile.user.alias,
        "bio": profile.bio,
        "topics": sorted(topic.slug for topic in profile.topics.all()),
        "chats_helped": helped,
        "rating": _public_rating(average, count),
        "level": level_for(
            chats_helped=helped,
            rating_average=average,
            rating_count=count,
            min_count=settings.LISTENERS_RATING_MIN_COUNT,
        ),
        "accepts_direct_requests": profile.accepts_direct_requests,
        "supports_teens": profile.approved_for_teens,
    }


def listener_own_profile(*, listener) -> dict:
    from listeners.models import ListenerProfile
    from support.errors import DomainError

    profile = (
        ListenerProfile.objects.select_related("user").prefetch_related("topics").filter(user_id=listener.pk).first()
    )
    if profile is None:
        raise DomainError("not_a_listener", "Only listeners have a listener profile.", status=403)
    payload = public_profile_payload(profile)
    payload.update(
        {
            "status": profile.status,
            "trained": profile.is_trained,
            "trained_at": _iso(profile.trained_at),
            "wants_teens": profile.wants_teens,
            "approved_for_adults": profile.approved_for_adults,
            "approved_for_teens": profile.approved_for_teens,
            "paused_until": _iso(profile.paused_until)
            if profile.paused_until and profile.paused_until > timezone.now()
            else None,
            "held_for_review": profile.held_for_review,
        }
    )
    return payload


def listener_feedback(*, listener) -> dict:
    """A listener's own released ratings: aggregate, distribution and comments.

    Deliberately carries nothing that ties a rating to a chat, a seeker or a
    day: only released batches (``released_ratings``), no ids, no dates but
    the last release's, comments shuffled across everything released.
    """
    import random

    from listeners.models import ListenerProfile

    rows = list(released_ratings(listener.pk).values_list("score", "comment"))
    released_at = (
        ListenerProfile.objects.filter(user_id=listener.pk).values_list("feedback_released_at", flat=True).first()
    )
    average, count = rating_summary(listener.pk)
    distribution = {str(score): 0 for score in range(1, 6)}
    comments = []
    for score, comment in rows:
        distribution[str(score)] += 1
        if comment:
            comments.append({"score": score, "comment": comment})
    random.SystemRandom().shuffle(comments)
    return {
        "released_at": _iso(released_at),
        "average": average,
        "count": count,
        "distribution": distribution,
        "comments": comments,
        "level": listener_level(listener.pk),
        "chats_helped": chats_helped(listener.pk),
        # How batching works, so the console can say why a rating is not shown at once.
        "release": {
            "min_batch": settings.LISTENERS_FEEDBACK_MIN_BATCH,
            "every_days": settings.LISTENERS_FEEDBACK_RELEASE_DAYS,
        },
    }


def shift_history(*, listener, limit: int = 100) -> list[dict]:
    shifts = (
        Shift.objects.filter(listener_id=listener.pk).prefetch_related("topics").order_by("-started_at", "-pk")[:limit]
    )
    return [
        {
            "id": shift.pk,
            "topics": sorted(topic.slug for topic in shift.topics.all()),
            "capacity": shift.capacity,
            "started_at": _iso(shift.started_at),
            "ended_at": _iso(shift.ended_at),
            "end_reason": shift.end_reason or None,
            "chats_taken": shift.chats_taken,
            "chats_escalated": shift.hard_chats,  # the wire name of hard chats
        }
        for shift in shifts
    ]


def listener_stats(*, listener, now=None) -> dict:
    from django.db.models import Sum

    from chat.models import Offer, OfferStatus

    now = now or timezone.now()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    totals = Shift.objects.filter(listener_id=listener.pk).aggregate(
        taken=Sum("chats_taken"), hard=Sum("hard_chats"), shifts=Count("id")
    )
    today = Offer.objects.filter(
        listener_id=listener.pk, status=OfferStatus.ACCEPTED, answered_at__gte=day_start
    ).count()
    average, count = rating_summary(listener.pk)
    return {
        "chats_helped": totals["taken"] or 0,
        "hard_chats": totals["hard"] or 0,
        "shifts": totals["shifts"],
        "chats_today": today,
        "daily_cap": settings.LISTENERS_DAILY_CHAT_CAP,
        "rating": {"average": average, "count": count},
        "level": listener_level(listener.pk),
    }


def listener_console(*, listener, now=None) -> dict:
    """Everything the listener console shows, for this listener only."""
    from chat.models import ConversationStatus, Offer, OfferStatus
    from chat.payloads import conversation_payload, offer_payload
    from chat.selectors import conversations_for_user
    from listeners.queue_sizes import queue_sizes_for_listener
    from listeners.training import training_overview

    now = now or timezone.now()
    profile = listener_own_profile(listener=listener)
    offers = Offer.objects.select_related("request__topic").filter(
        listener_id=listener.pk, status=OfferStatus.PENDING, expires_at__gt=now
    )
    conversations = [
        conversation_payload(conversation, for_user_id=listener.pk)
        for conversation in conversations_for_user(user=listener, include_ended=False)
        if conversation.status == ConversationStatus.ACTIVE and conversation.listener_id == listener.pk
    ]
    shift = shift_open_for(listener.pk)
    max_start = now - timedelta(seconds=settings.LISTENERS_MAX_SHIFT_SECONDS)
    return {
        "profile": profile,
        "training": training_overview(listener=listener, now=now),
        "shift": shift_payload(shift),
        "max_length_reached": bool(shift and shift.started_at <= max_start),
        "offers": [offer_payload(offer, now=now) for offer in offers],
        "conversations": conversations,
        "queue_sizes": queue_sizes_for_listener(listener.pk),
        "stats": listener_stats(listener=listener, now=now),
    }


# --- staff views ---------------------------------------------------------------


def active_shifts_by_topic(*, now=None) -> list[dict]:
    """Who is on shift now, per topic: alias, load, capacity and whether they can be offered chats."""
    from chat.models import Conversation, ConversationStatus
    from support.models import Topic

    now = now or timezone.now()
    shifts = list(
        Shift.objects.filter(ended_at__isnull=True)
        .select_related("listener__listener_profile")
        .prefetch_related("topics")
        .order_by("started_at")
    )
    active = dict(
        Conversation.objects.filter(listener_id__in=[s.listener_id for s in shifts], status=ConversationStatus.ACTIVE)
        .values("listener_id")
        .annotate(n=Count("id"))
        .values_list("listener_id", "n")
    )
    available = {candidate.listener_id: candidate.available for candidate in listener_candidates(now=now)}
    by_topic: dict[int, list[dict]] = {}
    for shift in shifts:
        profile = getattr(shift.listener, "listener_profile", None)
        entry = {
            "alias": shift.listener.alias,
            "capacity": shift.capacity,
            "active_chats": active.get(shift.listener_id, 0),
            "started_at": _iso(shift.started_at),
            "teens": bool(profile and profile.approved_for_teens),
            "paused": bool(profile and profile.paused_until and profile.paused_until > now),
            "held_for_review": bool(profile and profile.held_for_review),
            "available": available.get(shift.listener_id, False),
        }
        for topic in shift.topics.all():
            by_topic.setdefault(topic.pk, []).append(entry)
    return [
        {"topic": topic.slug, "name": topic.name, "listeners": by_topic.get(topic.pk, [])}
        for topic in Topic.objects.filter(is_active=True)
    ]


def ratings_for_follow_up(*, limit: int = 200) -> list[dict]:
    """Low ratings (1-2) with a comment that no staff member has followed up yet, oldest first."""
    from listeners.models import Rating

    ratings = (
        Rating.objects.filter(score__lte=2, followed_up_at__isnull=True)
        .exclude(comment="")
        .select_related("listener")
        .order_by("created_at", "pk")[:limit]
    )
    return [
        {
            "id": rating.pk,
            "listener": rating.listener.alias,
            "listener_id": rating.listener_id,
            "conversation": rating.conversation_id,
            "score": rating.score,
            "comment": rating.comment,
            "created_at": _iso(rating.created_at),
        }
        for rating in ratings
    ]


def listeners_for_staff(*, status: str | None = None, limit: int = 200) -> list[dict]:
    from listeners.models import ListenerProfile
    from listeners.training import teen_module_passed

    profiles = ListenerProfile.objects.select_related("user").prefetch_related("topics").order_by("-created_at")
    if status:
        profiles = profiles.filter(status=status)
    return [
        {
            "id": profile.user_id,
            "alias": profile.user.alias,
            "status": profile.status,
            "bio": profile.bio,
            "topics": sorted(topic.slug for topic in profile.topics.all()),
            "wants_teens": profile.wants_teens,
            "trained_at": _iso(profile.trained_at),
            "approved_for_teens": profile.approved_for_teens,
            "teen_module_passed": teen_module_passed(profile.user_id),
            "applied_at": _iso(profile.created_at),
        }
        for profile in profiles[:limit]
    ]


def listener_application_for_staff(*, listener_id: int) -> dict:
    """Everything the staff member deciding an application reads: the application, the training
    results and the practice chat with the scripted seeker, and earlier decisions.

    Callers check ``can_manage_listeners`` first. A listener id that does not exist is
    ``NotFoundOrForbidden``. Which answers were wrong is not shown: scores only, like the
    applicant saw (the answer key is public anyway; the practice chat is the evidence).
    """
    from listeners.models import ListenerDecision, PracticeReply, QuizAttempt, TrainingModule
    from support.errors import NotFoundOrForbidden

    if not isinstance(listener_id, int) or not 0 < listener_id < 2**63:
        raise NotFoundOrForbidden()
    profile = (
        ListenerProfile.objects.select_related("user").prefetch_related("topics").filter(user_id=listener_id).first()
    )
    if profile is None:
        raise NotFoundOrForbidden()
    attempts = list(QuizAttempt.objects.filter(listener_id=listener_id).order_by("created_at", "pk"))
    modules = []
    for module in TrainingModule.objects.filter(is_active=True):
        mine = [attempt for attempt in attempts if attempt.module_id == module.pk]
        modules.append(
            {
                "slug": module.slug,
                "title": module.title,
                "audience": module.audience,
                "passed": any(attempt.passed for attempt in mine),
                "best_score": max((attempt.score for attempt in mine), default=None),
                "attempts": [
                    {
                        "score": attempt.score,
                        "passed": attempt.passed,
                        "questions": len(attempt.questions),
                        "at": _iso(attempt.created_at),
                    }
                    for attempt in mine
                ],
            }
        )
    return {
        "application": {
            "id": profile.user_id,
            "alias": profile.user.alias,
            "username": profile.user.username,
            "status": profile.status,
            "bio": profile.bio,
            "topics": sorted(topic.slug for topic in profile.topics.all()),
            "wants_teens": profile.wants_teens,
            "age_group": profile.user.age_group,
            "adult_declared_at": _iso(profile.adult_declared_at),
            "applied_at": _iso(profile.created_at),
            "approved_for_teens": profile.approved_for_teens,
        },
        "training": {
            "trained_at": _iso(profile.trained_at),
            "pass_mark": settings.LISTENERS_QUIZ_PASS_PERCENT,
            "modules": modules,
        },
        "practice": [
            {
                "turn": reply.turn,
                "seeker": reply.seeker_text,
                "reply": reply.text,
                "masked": reply.masked,
                "would_hold": reply.would_hold,
                "risk_level": reply.risk_level,
            }
            for reply in PracticeReply.objects.filter(listener_id=listener_id).order_by("turn")
        ],
        "decisions": [
            {
                "action": decision.action,
                "status_before": decision.status_before,
                "status_after": decision.status_after,
                "decided_by": decision.decided_by_alias,
                "note": decision.note,
                "at": _iso(decision.created_at),
            }
            for decision in ListenerDecision.objects.filter(listener_id=listener_id)
        ],
    }


def favourites_for(*, seeker) -> list[dict]:
    from listeners.models import Favourite, ListenerProfile

    listener_ids = list(Favourite.objects.filter(seeker_id=seeker.pk).values_list("listener_id", flat=True))
    profiles = {
        profile.user_id: profile
        for profile in ListenerProfile.objects.select_related("user")
        .prefetch_related("topics")
        .filter(user_id__in=listener_ids, status=ListenerStatus.ACTIVE, user__is_active=True)
    }
    return [public_profile_payload(profiles[listener_id]) for listener_id in listener_ids if listener_id in profiles]


def listener_is_suspended(user_id: int) -> bool:
    """Whether ``user_id``'s listener profile is suspended (``ListenerProfile.is_suspended``), in one
    query without loading the row: a suspended listener may not open the chat socket at all."""
    return ListenerProfile.objects.filter(suspended_listener_q(), user_id=user_id).exists()


def listener_active_by_alias(*, alias: str, direct_requests: bool):
    """The user behind an active listener's ``alias`` (a direct request, a hand-over), or None; with
    ``direct_requests`` only a listener who accepts direct requests. One query."""
    conditions = {"user__alias": alias, "status": ListenerStatus.ACTIVE}
    if direct_requests:
        conditions["accepts_direct_requests"] = True
    profile = ListenerProfile.objects.select_related("user").filter(**conditions).first()
    return profile.user if profile is not None else None


def socket_state_console(user, state) -> None:
    """A listener's chat socket ``hello``: their shift, pauses, and while on shift the queue sizes.
    Registered with ``chat.selectors.socket_state_reader_register`` in ``ListenersConfig.ready()``."""
    # queue_sizes reads listener_candidates from this module: imported here to keep the two apart.
    from listeners.queue_sizes import queue_sizes_for_listener

    if not user.is_listener:
        return
    state.shift = shift_payload_for_listener(user)
    state.pauses = listener_pauses(user, now=timezone.now())
    if state.shift is not None:
        state.queue_sizes = queue_sizes_for_listener(user.pk)
