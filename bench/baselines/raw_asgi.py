"""Raw ASGI websocket app, no Django: the transport ceiling for the benchmarks.

* ``/ws/echo/``         echoes every text frame back to its sender.
* ``/ws/room/<name>/``  broadcasts every text frame to every socket in that
                        room (the sender included), in-process.

Rooms live in this process's memory, so this app is single-process only.
Run: ``daphne -b 127.0.0.1 -p 8001 bench.baselines.raw_asgi:app``
"""

from __future__ import annotations

import re

ROOM_PATH = re.compile(r"^/ws/room/([A-Za-z0-9_.-]{1,64})/$")

# room name -> {connection id: ASGI send callable}
rooms: dict[str, dict[int, object]] = {}


async def _http_404(send) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"not found"})


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _echo(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message["type"] == "websocket.receive" and message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})


async def _room(name: str, receive, send) -> None:
    members = rooms.setdefault(name, {})
    key = id(send)
    members[key] = send
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if message["type"] != "websocket.receive" or text is None:
                continue
            frame = {"type": "websocket.send", "text": text}
            # Snapshot: a member may leave while we await its send.
            for member_send in list(members.values()):
                await member_send(frame)
    finally:
        members.pop(key, None)
        if not members:
            rooms.pop(name, None)


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] == "http":
        await _http_404(send)
        return
    if scope["type"] != "websocket":
        return
    first = await receive()
    if first["type"] != "websocket.connect":
        return
    path = scope["path"]
    room = ROOM_PATH.match(path)
    if path == "/ws/echo/":
        await send({"type": "websocket.accept"})
        await _echo(receive, send)
    elif room:
        await send({"type": "websocket.accept"})
        await _room(room.group(1), receive, send)
    else:
        await send({"type": "websocket.close", "code": 4404})
