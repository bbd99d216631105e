"""Load the demo data of ``make run`` (idempotent): a listener, safety staff and an open room.

Made by the same functions as ``manage.py hearth_accounts`` (support.management.provision).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from support.management.provision import ProvisionError, listener_ensure, room_ensure, safety_staff_ensure

DEMO_LISTENER = ("listener", "KindLantern", "hearth-demo-listener")
DEMO_STAFF = ("safety", "SafetyDesk", "hearth-demo-safety")
DEMO_ROOM = ("Evening check-in", "anxiety")


class Command(BaseCommand):
    help = "Create the demo listener, safety-staff accounts and an open room (idempotent) and print their credentials."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow with DEBUG off (never on a real deployment).")

    @transaction.atomic
    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to create demo accounts with DEBUG off (use --force on a throwaway instance).")
        username, alias, password = DEMO_LISTENER
        try:
            # Every topic, adults and teens: the demo listener can take any seeker and moderate any room.
            listener_ensure(
                username=username,
                alias=alias,
                password=password,
                topics=None,
                capacity=2,
                teen_approved=True,
                bio="Demo listener. I'm here to listen, without judgement.",
            )
            username, alias, password = DEMO_STAFF
            safety_staff_ensure(username=username, alias=alias, password=password)
            room = room_ensure(name=DEMO_ROOM[0], topic=DEMO_ROOM[1], moderator_alias=DEMO_LISTENER[1]).obj
        except ProvisionError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS("Demo data ready:"))
        self.stdout.write(f"  listener      username {DEMO_LISTENER[0]!r}  password {DEMO_LISTENER[2]!r}")
        self.stdout.write(f"  safety staff  username {DEMO_STAFF[0]!r}  password {DEMO_STAFF[2]!r}")
        self.stdout.write(
            f"  room          {room.name!r} (/rooms/), open while {DEMO_LISTENER[1]} (the listener) is in it"
        )
        self.stdout.write("  seekers start anonymously from the home page.")
