"""Who should be offered a request: a pure function over plain objects.

No ORM and no I/O, so every rule is unit-tested with plain values and the
service that takes the row locks (``chat.dispatch``) stays small.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Candidate:
    listener_id: int
    topic_ids: frozenset[int]
    capacity: int
    # Chats open now plus offers pending now (an offer holds a seat).
    load: int
    idle_since: datetime
    approved_for_teens: bool
    approved_for_adults: bool
    accepts_direct_requests: bool = True
    # Paused for wellbeing, past the maximum shift length or at the daily cap.
    available: bool = True

    @property
    def has_free_seat(self) -> bool:
        return self.load < self.capacity


@dataclass(frozen=True)
class Want:
    request_id: int
    seeker_id: int
    topic_id: int | None  # None: any topic
    age_group: str  # "teen" | "adult"
    priority: int
    queued_at: datetime
    requested_listener_id: int | None = None
    # During the specific-listener window only that listener may be offered.
    specific_only: bool = False
    # Left out for now: declined or let expire within the re-offer cool-down.
    excluded_listener_ids: frozenset[int] = field(default_factory=frozenset)
    # Never: blocked either way, "not me for this one", the listener handing the chat over.
    barred_listener_ids: frozenset[int] = field(default_factory=frozenset)


def is_eligible(want: Want, candidate: Candidate) -> bool:
    """Whether ``candidate`` may be offered ``want`` now."""
    if not candidate.available:
        return False
    if not candidate.has_free_seat:
        return False
    if candidate.listener_id in want.excluded_listener_ids:
        return False
    return could_serve(want, candidate)


def could_serve(want: Want, candidate: Candidate) -> bool:
    """Whether ``candidate`` could ever take ``want`` on their current shift, seats and cool-down aside.

    What a listener's live line counts, what ``request.take_next`` may give
    them, and who counts as "on shift for this seeker" in the seeker's status.
    """
    if candidate.listener_id in want.barred_listener_ids:
        return False
    if want.topic_id is not None and want.topic_id not in candidate.topic_ids:
        return False
    if want.age_group == "teen" and not candidate.approved_for_teens:
        return False
    if want.age_group != "teen" and not candidate.approved_for_adults:
        return False
    if want.specific_only:
        return candidate.listener_id == want.requested_listener_id and candidate.accepts_direct_requests
    return True


def preference_key(candidate: Candidate) -> tuple:
    """Fewest open chats now, then longest idle, then a stable tie-break."""
    return (candidate.load, candidate.idle_since, candidate.listener_id)


def choose_listener(want: Want, candidates: Iterable[Candidate]) -> Candidate | None:
    eligible = [candidate for candidate in candidates if is_eligible(want, candidate)]
    if not eligible:
        return None
    return min(eligible, key=preference_key)


def queue_order(wants: Sequence[Want]) -> list[Want]:
    """Urgent first, then returning seekers, then first come, first served."""
    return sorted(wants, key=lambda want: (-want.priority, want.queued_at, want.request_id))


def line_places(line: Iterable[tuple[int, int | None]]) -> dict[int, int]:
    """Place in line, 1-based, for ``(request id, topic id)`` pairs given in queue order.

    The one rule (``chat.selectors.queue_position`` counts the same in one query for
    one request; a test holds them together): a request for a topic waits
    behind those ahead of it for that topic or for any topic; an any-topic
    request behind everyone ahead of it.
    """
    places: dict[int, int] = {}
    ahead_by_topic: dict[int, int] = {}
    ahead_any = 0
    for request_id, topic_id in line:
        if topic_id is None:
            places[request_id] = sum(ahead_by_topic.values()) + ahead_any + 1
            ahead_any += 1
        else:
            places[request_id] = ahead_by_topic.get(topic_id, 0) + ahead_any + 1
            ahead_by_topic[topic_id] = ahead_by_topic.get(topic_id, 0) + 1
    return places


def plan_offers(wants: Sequence[Want], candidates: Sequence[Candidate]) -> list[tuple[Want, Candidate]]:
    """Pair requests with listeners in queue order, counting each new offer against capacity.

    A request nobody can take now is passed over (not blocking the ones behind
    it); it keeps its place and is looked at first again next round, so no
    request starves while listeners it could use come free.
    """
    by_id = {candidate.listener_id: candidate for candidate in candidates}
    plan: list[tuple[Want, Candidate]] = []
    for want in queue_order(wants):
        choice = choose_listener(want, by_id.values())
        if choice is None:
            continue
        plan.append((want, choice))
        by_id[choice.listener_id] = Candidate(**{**choice.__dict__, "load": choice.load + 1})
    return plan
