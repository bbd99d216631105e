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

from support.origins import origin_validator  # noqa: E402
from support.routing import websocket_urlpatterns  # noqa: E402
from support.scheduler import with_scheduler  # noqa: E402
from safety.classifier import get_rules  # noqa: E402

# Compile the safety rules now, so the first chat message does not pay for it.
get_rules("en")

application = with_scheduler(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": origin_validator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)

# Django, the apps, the URL tables and the compiled rules live as long as the process:
# freeze them out of the cyclic collector, so its full passes scan only what sockets
# and requests create. Full passes over everything stalled every socket of the process
# for 90–136 ms at a time with 500 sockets (docs/performance.md).
gc.freeze()
