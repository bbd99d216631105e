"""Run Hearth under Daphne with Hearth's websocket size limits.

    python -m support.serve -b 127.0.0.1 -p 8000

Daphne's ``--proxy-headers`` is refused: it replaces the connection's peer
with whatever ``X-Forwarded-For`` says, whoever sent it, so a client behind a
proxy that passes the header on could choose its own address for every
per-IP limit. ``CLIENT_IP_HEADER`` with ``TRUSTED_PROXIES`` trusts the header
only from the proxy (``support/client_ip.py``).

Takes every ``daphne`` option. The application defaults to
``support.asgi:application``. Unless the command line sets them, the
websocket frame and message payload limits are ``HEARTH_WS_SERVER_MAX_BYTES``
(64 KiB by default) instead of Daphne's 1 MiB: autobahn refuses a larger
frame (close 1009) while reading it, before it is buffered whole or reaches
the application, so an oversize flood cannot grow the process. Frames between
the application limit (``HEARTH_WS_MAX_FRAME_BYTES``, 16 KiB) and this one
reach the consumer and get an ``error`` frame ``frame_too_large``.

autobahn applies the same limit to what the server sends, which is why
replies that carry messages are paged by size (``support.paging``).
"""

from __future__ import annotations

import os
import sys

DEFAULT_APPLICATION = "support.asgi:application"
PROXY_HEADER_OPTIONS = {"--proxy-headers", "--proxy-headers-host", "--proxy-headers-port"}
PROXY_HEADERS_REFUSED = (
    "--proxy-headers lets any client choose its address through X-Forwarded-For. "
    "Set CLIENT_IP_HEADER (e.g. X-Real-IP) and TRUSTED_PROXIES (your proxy's addresses) instead."
)


def server_argv(argv: list[str], environ: dict[str, str] | None = None) -> list[str]:
    """Daphne's argv with Hearth's defaults added where the caller did not choose."""
    environ = os.environ if environ is None else environ
    raw = (environ.get("HEARTH_WS_SERVER_MAX_BYTES") or "").strip()
    limit = int(raw) if raw else 64 * 1024
    if limit < 2048:
        raise SystemExit("HEARTH_WS_SERVER_MAX_BYTES must be at least 2048")
    args = list(argv)
    given = {arg.split("=", 1)[0] for arg in args if arg.startswith("--")}
    if given & PROXY_HEADER_OPTIONS:
        raise SystemExit(PROXY_HEADERS_REFUSED)
    if "--websocket-max-message-size" not in given:
        args[:0] = ["--websocket-max-message-size", str(limit)]
    if "--websocket-max-frame-size" not in given:
        args[:0] = ["--websocket-max-frame-size", str(limit)]
    if not _has_application(args):
        args.append(DEFAULT_APPLICATION)
    return args


def _has_application(args: list[str]) -> bool:
    """Whether ``args`` name the application, as Daphne's own parser reads them.

    A stand-in application is appended: if the parser takes it as the
    application, the command line named none.
    """
    from daphne.cli import CommandLineInterface  # late, as in hearth_cli: Daphne installs Twisted's reactor

    namespace, _ = CommandLineInterface().parser.parse_known_args([*args, _NO_APPLICATION])
    return namespace.application != _NO_APPLICATION


_NO_APPLICATION = "hearth.serve:no-application-given"


def hearth_cli():
    """Daphne's command line, serving with ``HearthServer``: imported late, Daphne installs Twisted's reactor."""
    from daphne.cli import CommandLineInterface
    from daphne.server import Server

    class HearthServer(Server):
        """Daphne, but a websocket it must fail gets a close frame instead of a dropped connection.

        autobahn's default (``failByDrop``) answers a message over the size limit, invalid
        UTF-8 or a protocol error by resetting the TCP connection: the client sees 1006 and
        cannot tell "too large" from a network loss. With it off, autobahn sends the close
        code (1009 for too large, docs/protocol.md) and stops reading the frame. Daphne makes
        its factory inside ``run()``, so the option is applied as the factory is stored.
        """

        @property
        def ws_factory(self):
            return self._hearth_ws_factory

        @ws_factory.setter
        def ws_factory(self, factory):
            factory.setProtocolOptions(failByDrop=False)
            self._hearth_ws_factory = factory

    class HearthCommandLine(CommandLineInterface):
        server_class = HearthServer

    return HearthCommandLine()


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.settings")
    hearth_cli().run(server_argv(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
