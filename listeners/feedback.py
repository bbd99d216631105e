"""Writes for what seekers give back: ratings after a chat, and favourite listeners."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from chat.models import ConversationStatus, Offer, OfferStatus
from chat.screener import message_screener
from chat.selectors import conversation_get_for_participant
from listeners.models import Favourite, ListenerProfile, ListenerStatus, Rating
from support.errors import DomainError, NotFoundOrForbidden
from support.models import Role

MAX_COMMENT_CHARS = 1000
NOT_ENDED = "You can rate a chat once it has ended."
NOTHING_TO_RATE = "No listener joined this chat, so there's nobody to rate."
ALREADY_RATED = "You've already rated this chat. Thank you!"
ONLY_SEEKERS_RATE = "Only the person who asked for the chat can rate it."
BAD_SCORE = "A rating is a whole number from 1 to 5."
COMMENT_TOO_LONG = "Comments are limited to {limit} characters."
NOT_TALKED = "You can add a listener to your favourites after a chat with them."
ONLY_SEEKERS_FAVOURITE = "Only seekers keep favourite listeners."


def rating_create(*, seeker, conversation_id: int, score, comment: str = "", now=None) -> Rating:
    """Rate the listener of an ended chat, once (a unique constraint on the conversation decides races).

    The comment is screened like a message: contact details are masked before
    the listener can read it, and crisis language raises a safety flag (the
    seeker may still be at risk after the chat ended).
    """
    now = now or timezone.now()
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise DomainError("invalid_score", BAD_SCORE, field="score")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise DomainError("invalid_field", "'comment' must be text.", field="comment")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise DomainError(
            "comment_too_long",
            COMMENT_TOO_LONG.format(limit=MAX_COMMENT_CHARS),
            field="comment",
            limit=MAX_COMMENT_CHARS,
        )
    try:
        with transaction.atomic():
            conversation = conversation_get_for_participant(user=seeker, conversation_id=conversation_id)
            if conversation.role_of(seeker.pk) != "seeker":
                raise DomainError("forbidden", ONLY_SEEKERS_RATE, status=403)
            if conversation.status != ConversationStatus.ENDED:
                raise DomainError("conversation_not_ended", NOT_ENDED, status=409)
            if conversation.listener_id is None or conversation.started_at is None:
                raise DomainError("nothing_to_rate", NOTHING_TO_RATE, status=409)
            flagged = None
            if comment:
                screening = message_screener().screen(text=comment, sender_role="seeker")
                comment = screening.text
                if screening.at_risk:
                    flagged = screening
            rating = Rating.objects.create(
                conversation=conversation,
                listener_id=conversation.listener_id,
                seeker=seeker,
                score=score,
                comment=comment,
                created_at=now,
            )
            if flagged is not None:
                message_screener().rating_comment_flag(rating=rating, conversation=conversation, screening=flagged)
    except IntegrityError:
        raise DomainError("already_rated", ALREADY_RATED, status=409) from None
    return rating


def feedback_release(*, now=None) -> int:
    """Release each listener's new ratings as one batch, when it is due (scheduled job).

    Due when the last release is at least ``LISTENERS_FEEDBACK_RELEASE_DAYS``
    old (or there was none) and at least ``LISTENERS_FEEDBACK_MIN_BATCH``
    ratings came since. Profiles are claimed with ``skip_locked``. Returns the
    listeners whose feedback was released.
    """
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Count, F, Q

    now = now or timezone.now()
    period_start = now - timedelta(days=settings.LISTENERS_FEEDBACK_RELEASE_DAYS)
    new_ratings = Q(user__ratings_received__created_at__gt=F("feedback_released_through")) | Q(
        feedback_released_through__isnull=True, user__ratings_received__isnull=False
    )
    with transaction.atomic():
        due = list(
            ListenerProfile.objects.filter(
                Q(feedback_released_at__isnull=True) | Q(feedback_released_at__lte=period_start)
            )
            .annotate(new=Count("user__ratings_received", filter=new_ratings))
            .filter(new__gte=settings.LISTENERS_FEEDBACK_MIN_BATCH)
            .values_list("pk", flat=True)[:200]
        )
        released = 0
        for profile in ListenerProfile.objects.select_for_update(skip_locked=True).filter(pk__in=due):
            profile.feedback_released_at = now
            profile.feedback_released_through = now
            profile.save(update_fields=["feedback_released_at", "feedback_released_through"])
            released += 1
    return released


def rating_follow_up_done(*, staff, rating_id: int, now=None) -> Rating:
    from support.roles import can_manage_listeners

    now = now or timezone.now()
    if not can_manage_listeners(staff):
        raise DomainError("forbidden", "You don't have access to this.", status=403)
    with transaction.atomic():
        rating = Rating.objects.select_for_update().filter(pk=rating_id).first()
        if rating is None:
            raise NotFoundOrForbidden()
        if rating.followed_up_at is None:
            rating.followed_up_at = now
            rating.followed_up_by = staff
            rating.save(update_fields=["followed_up_at", "followed_up_by"])
        return rating


def _active_listener_by_alias(alias: str) -> ListenerProfile:
    profile = (
        ListenerProfile.objects.select_related("user")
        .filter(user__alias=alias, status=ListenerStatus.ACTIVE, user__is_active=True)
        .first()
        if isinstance(alias, str)
        else None
    )
    if profile is None:
        raise NotFoundOrForbidden()
    return profile


def talked_with(*, seeker_id: int, listener_id: int) -> bool:
    """Whether this listener ever joined a chat of this seeker (including one handed over later)."""
    return Offer.objects.filter(
        listener_id=listener_id, status=OfferStatus.ACCEPTED, request__conversation__seeker_id=seeker_id
    ).exists()


def favourite_add(*, seeker, alias: str, now=None) -> tuple[Favourite, bool]:
    """Keep a listener the seeker has talked with. Idempotent: returns (favourite, created)."""
    now = now or timezone.now()
    if seeker.role != Role.SEEKER:
        raise DomainError("forbidden", ONLY_SEEKERS_FAVOURITE, status=403)
    profile = _active_listener_by_alias(alias)
    if not talked_with(seeker_id=seeker.pk, listener_id=profile.user_id):
        raise DomainError("not_talked", NOT_TALKED, status=403)
    try:
        with transaction.atomic():
            favourite, created = Favourite.objects.get_or_create(
                seeker=seeker, listener_id=profile.user_id, defaults={"created_at": now}
            )
    except IntegrityError:
        return Favourite.objects.get(seeker=seeker, listener_id=profile.user_id), False
    return favourite, created


def favourite_remove(*, seeker, alias: str) -> None:
    """Idempotent: removing a listener who isn't a favourite is fine."""
    if seeker.role != Role.SEEKER:
        raise DomainError("forbidden", ONLY_SEEKERS_FAVOURITE, status=403)
    if not isinstance(alias, str):
        return
    Favourite.objects.filter(seeker=seeker, listener__alias=alias).delete()
