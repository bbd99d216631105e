"""One heartbeat per process for every open socket: presence rows and group memberships.

A socket registers once its presence exists (``FrameConsumer.start_heartbeat``)
and unregisters when it closes. Every ``HEARTH_WS_HEARTBEAT_SECONDS`` one task
per process (per event loop):

1. **Presence.** Refreshes the presence rows of every registered socket: for
   each presence table (a consumer class's ``presence_model``: ``Connection``,
   ``rooms.RoomPresence``) one UPDATE by channel name
   (``support.presence.presence_rows_refresh``). A socket whose row is missing
   (swept after a stall) gets its own ``on_heartbeat()``, which re-creates the
   row, or re-joins, or closes the socket; returning False stops its beat.
   Sockets of a class without a ``presence_model`` that override
   ``on_heartbeat`` get it called every tick, as before.
2. **Groups.** Re-adds every socket's groups only after the channel layer had
   trouble (``layer_trouble()``: a failed receive, ``group_add`` or
   ``new_channel`` in ``support.ws`` — Redis down, maybe back empty), until one
   complete pass succeeds. Besides that, each socket's groups are re-added once
   per ``GROUP_REFRESH_SECONDS``, spread over the ticks by a hash of its channel
   name, so the layer's group expiry (a day by default) never drops a
   long-lived socket and a loss nobody noticed heals within the hour.

Stale rows of a process that died are not this module's job: nothing refreshes
them, so they age past the grace period and the scheduled presence sweeps
(``listeners.jobs.presence_sweep``, ``rooms.jobs.room_presence_sweep``) treat
them as gone and delete them.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
import zlib
from collections import defaultdict
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from support.presence import presence_rows_refresh

logger = logging.getLogger("hearth.presence")

#: Each socket's groups are re-added at least this often without any layer trouble.
GROUP_REFRESH_SECONDS = 3600
#: Sockets whose groups are re-added concurrently.
REASSERT_BATCH = 100


class ProcessHeartbeat:
    """The registry of this process's live sockets and the task that beats for them."""

    def __init__(self) -> None:
        self.sockets: dict[str, Any] = {}  # channel name -> consumer, in registration order
        self.trouble = 0  # channel layer failures seen
        self.reasserted = 0  # the value of ``trouble`` the last complete re-assertion covered
        self.ticks = 0
        self._task: asyncio.Task | None = None

    # --- registry ------------------------------------------------------------
    def register(self, socket) -> None:
        self.sockets[socket.channel_name] = socket
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="hearth-presence-heartbeat")

    def unregister(self, socket) -> None:
        if self.sockets.get(socket.channel_name) is socket:
            del self.sockets[socket.channel_name]
        if not self.sockets and self._task is not None:
            self._task.cancel()
            self._task = None

    def registered(self, socket) -> bool:
        return self.sockets.get(socket.channel_name) is socket

    def layer_trouble(self) -> None:
        """The channel layer failed: group memberships may be gone; re-add them all on the next tick."""
        self.trouble += 1

    # --- the beat ---------------------------------------------------------------
    async def _run(self) -> None:
        while self.sockets:
            await asyncio.sleep(settings.HEARTH_WS_HEARTBEAT_SECONDS)
            try:
                await self.tick()
            except Exception:
                logger.exception("presence heartbeat failed")

    async def tick(self) -> None:
        self.ticks += 1
        sockets = list(self.sockets.values())
        if not sockets:
            return
        await self._refresh_presence(sockets)
        await self._reassert_groups([s for s in sockets if self.registered(s)])

    async def _refresh_presence(self, sockets: list) -> None:
        by_model: dict[Any, list] = defaultdict(list)
        one_by_one = []
        for socket in sockets:
            model = getattr(socket, "presence_model", None)
            if model is not None:
                by_model[model].append(socket)
            elif type(socket).on_heartbeat is not _default_on_heartbeat():
                one_by_one.append(socket)
        for model, group in by_model.items():
            try:
                missing = await database_sync_to_async(presence_rows_refresh)(model, [s.channel_name for s in group])
            except Exception:
                logger.warning("presence refresh failed for %s", model.__name__, exc_info=True)
                continue
            one_by_one.extend(s for s in group if s.channel_name in missing)
        for socket in one_by_one:
            if not self.registered(socket):
                continue  # closed while the rows were refreshed
            try:
                if not await socket.on_heartbeat():
                    self.unregister(socket)
            except Exception:
                logger.warning("heartbeat failed", exc_info=True)

    async def _reassert_groups(self, sockets: list) -> None:
        trouble = self.trouble
        full = trouble != self.reasserted
        if full:
            due = sockets
        else:
            slots = max(1, round(GROUP_REFRESH_SECONDS / settings.HEARTH_WS_HEARTBEAT_SECONDS))
            due = [s for s in sockets if slot(s.channel_name, slots) == self.ticks % slots]
        for start in range(0, len(due), REASSERT_BATCH):
            results = await asyncio.gather(*(self._reassert(s) for s in due[start : start + REASSERT_BATCH]))
            if not all(results):
                logger.warning("could not re-add group memberships; retrying on the next heartbeat")
                self.trouble += 1  # not complete: the next tick re-adds everyone's
                return
        if full:
            self.reasserted = trouble
            logger.info("group memberships of %d sockets re-added after channel layer trouble", len(due))

    async def _reassert(self, socket) -> bool:
        """Re-add one socket's groups; False when the layer refused (a socket closed meanwhile is no failure)."""
        if not self.registered(socket):
            return True
        try:
            await socket.reassert_groups()
        except Exception:
            if self.registered(socket):
                logger.debug("group_add failed", exc_info=True)
                return False
        if not self.registered(socket):  # closed while re-adding: don't leave it in its groups
            try:
                await socket.leave_all_groups()
            except Exception:
                pass
        return True


def slot(channel_name: str, slots: int) -> int:
    """Which tick (modulo ``slots``) re-adds this socket's groups without layer trouble."""
    return zlib.crc32(channel_name.encode()) % slots


def _default_on_heartbeat():
    from support.ws import FrameConsumer

    return FrameConsumer.on_heartbeat


_heartbeats: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ProcessHeartbeat] = weakref.WeakKeyDictionary()


def process_heartbeat() -> ProcessHeartbeat:
    """This process's heartbeat (one per event loop: Daphne runs one)."""
    loop = asyncio.get_running_loop()
    heartbeat = _heartbeats.get(loop)
    if heartbeat is None:
        heartbeat = _heartbeats[loop] = ProcessHeartbeat()
    return heartbeat


def layer_trouble() -> None:
    """Note a channel layer failure for this process's heartbeat (no-op outside an event loop)."""
    try:
        process_heartbeat().layer_trouble()
    except RuntimeError:
        pass
