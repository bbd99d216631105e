"""ASGI entry point: HTTP through Django, websockets through Channels.

Websockets pass an origin check (a page on another site cannot open a socket
with a user's cookie), then session authentication, then the app routes.
"""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chat.blocks import block_reader  # noqa: E402
from chat.listener_pool import listener_pool  # noqa: E402
from chat.mutes import mute_in_force_ends  # noqa: E402
from chat.screener import message_screener  # noqa: E402
from safety.warmup import compile_rules_at_start  # noqa: E402
from support.devices import device_policy  # noqa: E402
from support.origins import origin_validator  # noqa: E402
from support.routing import websocket_urlpatterns  # noqa: E402
from support.scheduler import with_scheduler  # noqa: E402

# A process that would deliver chat messages unscreened, let a muted sender through, pair people
# who blocked each other, let a suspended listener into a chat, or let a banned browser start
# anonymous sessions, refuses to start.
message_screener()
mute_in_force_ends()
block_reader()
listener_pool()
device_policy()

# In the background: the server accepts connections meanwhile (safety/warmup.py).
compile_rules_at_start("en")

application = with_scheduler(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": origin_validator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)

# Django, the apps and the URL tables live as long as the process (the rules are frozen
# once compiled):
# freeze them out of the cyclic collector, so its full passes scan only what sockets
# and requests create: a full pass over everything stalls every socket of the process.
gc.freeze()
