"""Listener levels 1-5: a pure function of chats helped and ratings (rule in docs/listeners.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LevelRule:
    level: int
    min_chats: int
    # Needed only once the listener has at least min_ratings ratings; None: no rating condition.
    min_average: float | None = None
    min_ratings: int = 0


# Highest first. A level's rating condition applies only with enough ratings to mean something,
# except where min_ratings is set: then the ratings must exist.
RULES = (
    LevelRule(level=5, min_chats=400, min_average=4.5, min_ratings=25),
    LevelRule(level=4, min_chats=150, min_average=4.0, min_ratings=10),
    LevelRule(level=3, min_chats=50, min_average=3.5),
    LevelRule(level=2, min_chats=10),
    LevelRule(level=1, min_chats=0),
)


def level_for(*, chats_helped: int, rating_average: float | None, rating_count: int, min_count: int = 3) -> int:
    """The highest level whose conditions hold.

    * chats_helped must reach ``min_chats``;
    * with ``min_ratings`` > 0, at least that many ratings must exist and average ``min_average`` or more;
    * with ``min_ratings`` = 0 and a ``min_average``, the average counts only once there are ``min_count``
      ratings (the same threshold that hides averages on the public profile), so a brand-new listener
      is not held back, or pushed up, by one or two ratings.
    """
    for rule in RULES:
        if chats_helped < rule.min_chats:
            continue
        if rule.min_average is not None:
            if rule.min_ratings:
                if rating_count < rule.min_ratings or rating_average is None or rating_average < rule.min_average:
                    continue
            elif rating_count >= min_count and (rating_average is None or rating_average < rule.min_average):
                continue
        return rule.level
    return 1
