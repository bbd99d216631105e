"""Replies that carry a list of messages stay under the websocket message limit.

Daphne (through autobahn) refuses to send a message larger than
``HEARTH_WS_SERVER_MAX_BYTES`` (``support.serve`` sets the same limit both
ways), and the consumer then fails. A reply whose list can grow (a sync page,
the transcript at a match, a room's history) therefore takes only as many
items as fit, and says ``has_more``; the client asks for the next page.
Counting items is not enough: a page of 500 messages of 2,000 characters is
a megabyte.

Sizes are measured as the consumer sends them (``json.dumps`` with its
defaults: ASCII with ``\\uXXXX`` escapes, the upper bound of the UTF-8 size
whatever the text).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

#: Room left in a reply for what the page builder does not see: the ``ref`` echoed by
#: ``FrameConsumer.reply`` (64 characters, up to 6 bytes each escaped) and small fields.
REPLY_MARGIN_BYTES = 1024
#: ``, `` between two items of a JSON list (``json.dumps``'s default separators).
_ITEM_SEPARATOR_BYTES = 2


def encoded_size(value: Any) -> int:
    """Bytes ``value`` takes in a frame, encoded as ``AsyncJsonWebsocketConsumer.send_json`` does."""
    return len(json.dumps(value).encode("utf-8"))


def reply_max_bytes() -> int:
    """The largest reply the server can send: the transport limit, less ``REPLY_MARGIN_BYTES``."""
    return settings.HEARTH_WS_SERVER_MAX_BYTES - REPLY_MARGIN_BYTES


def budget_for(envelope: dict, *, limit: int | None = None) -> int:
    """Bytes left for the list items of a reply whose other fields are ``envelope`` (lists empty)."""
    return (reply_max_bytes() if limit is None else limit) - encoded_size(envelope)


def take_within(items: list, budget: int, *, newest: bool = False) -> list:
    """The longest run of ``items`` whose encoded size fits ``budget``.

    From the start (oldest first), or with ``newest`` from the end, keeping the
    order. Always at least one item when there is any, so paging always moves
    on (one message is far below any limit the settings allow).
    """
    ordered = reversed(items) if newest else items
    taken: list = []
    used = 0
    for item in ordered:
        size = encoded_size(item) + (_ITEM_SEPARATOR_BYTES if taken else 0)
        if taken and used + size > budget:
            break
        taken.append(item)
        used += size
    if newest:
        taken.reverse()
    return taken
