"""ASGI entry point: ``daphne bench.baselines.bare_channels.asgi:application``."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baselines.bare_channels.settings")

import django  # noqa: E402

django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from .consumers import EchoConsumer, RoomConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "websocket": URLRouter(
            [
                re_path(r"^ws/echo/$", EchoConsumer.as_asgi()),
                re_path(r"^ws/room/(?P<room>[A-Za-z0-9_.-]{1,64})/$", RoomConsumer.as_asgi()),
            ]
        ),
    }
)
