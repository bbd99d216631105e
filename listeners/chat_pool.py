"""What chat asks of the listener program: the listeners on duty (``chat.listener_pool``),
installed in ``ListenersConfig.ready()``.

Each method reaches its function through its module at call time, so chat
always runs what ``listeners`` currently defines.
"""

from __future__ import annotations

from listeners import models, selectors, services


class ListenersOnDuty:
    def candidates(self, *, now=None):
        return selectors.listener_candidates(now=now)

    def is_suspended(self, user_id):
        return selectors.listener_is_suspended(user_id)

    def suspended_q(self, via=""):
        return models.suspended_listener_q(via)

    def active_listener(self, *, alias, direct_requests):
        return selectors.listener_active_by_alias(alias=alias, direct_requests=direct_requests)

    def seat_take(self, *, listener_id):
        return services.shift_seat_take(listener_id=listener_id)

    def idle_mark(self, *, listener_id, now):
        services.shift_idle_mark(listener_id=listener_id, now=now)


POOL = ListenersOnDuty()
