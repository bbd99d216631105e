"""A Daphne server whose staff sockets pause right after reading the open alerts.

    python -m tests.e2e.paused_alert_read -b 127.0.0.1 -p PORT support.asgi:application

With ``HEARTH_TEST_PAUSE_DIR`` set, each read of ``safety.selectors.alerts_open``
writes ``read-done`` in that folder once it has read, then waits (up to 30 s)
for a file ``continue`` there. A test can so raise an alert on another process
exactly between a staff socket's read of the open alerts and its ``hello``:
the alert is then in neither the read nor, unless the socket had joined the
staff group first, the live stream. Test code only; production runs
``support.serve``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

PAUSE_LIMIT_SECONDS = 30


def pause_after_alerts_read(pause_dir: Path) -> None:
    from safety import selectors

    read_open_alerts = selectors.alerts_open

    def read_then_wait():
        alerts = read_open_alerts()
        (pause_dir / "read-done").touch()
        deadline = time.monotonic() + PAUSE_LIMIT_SECONDS
        while not (pause_dir / "continue").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        return alerts

    selectors.alerts_open = read_then_wait


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.settings")
    import django

    django.setup()
    pause_after_alerts_read(Path(os.environ["HEARTH_TEST_PAUSE_DIR"]))
    from support.serve import main as serve

    serve(sys.argv[1:])


if __name__ == "__main__":
    main()
