"""Create ready-to-use listeners, safety staff and rooms for demos and tests (idempotent).

    manage.py hearth_accounts listener --alias Sam --password 'a long one' --topics anxiety,grief --capacity 2 --teen-approved
    manage.py hearth_accounts staff --alias Desk --password 'another long one'
    manage.py hearth_accounts room --name "Evening anxiety circle" --topic anxiety --moderator Sam

A listener is trained and active at once (no quizzes). Running a line again changes
nothing; with other options it updates the account or room. The internals are shared
with ``seed_demo`` (support.management.provision).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from support.management.provision import ProvisionError, listener_ensure, room_ensure, safety_staff_ensure
from support.models import AgeGroup


def _topic_list(raw: str | None) -> list[str] | None:
    if raw is None or raw.strip().lower() == "all":
        return None
    return [slug for slug in (part.strip() for part in raw.split(",")) if slug]


class Command(BaseCommand):
    help = "Create (or update) a trained listener, a safety staff member or a moderated room, for demos and tests."

    def add_arguments(self, parser):
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="{listener,staff,room}")

        listener = kinds.add_parser("listener", help="A trained, active listener (no quizzes).")
        listener.add_argument(
            "--alias", required=True, help="The name seekers see; in lower case, also the username unless --username."
        )
        listener.add_argument("--username", help="Sign-in name (default: the alias in lower case).")
        listener.add_argument("--password", required=True)
        listener.add_argument("--topics", default="all", help="Comma-separated topic slugs, or 'all' (default).")
        listener.add_argument(
            "--capacity",
            type=int,
            default=2,
            help="Chats at once when a shift starts without naming one (1–5, default 2).",
        )
        listener.add_argument("--teen-approved", action="store_true", help="Approved to talk with teens (13–17).")
        listener.add_argument("--bio", default="")

        staff = kinds.add_parser("staff", help="A safety staff member (review queue, alerts).")
        staff.add_argument("--alias", required=True)
        staff.add_argument("--username", help="Sign-in name (default: the alias in lower case).")
        staff.add_argument("--password", required=True)

        room = kinds.add_parser("room", help="A topic group room with a moderator.")
        room.add_argument("--name", required=True, help="The room's name (rooms are matched by name).")
        room.add_argument("--topic", required=True, help="A topic slug.")
        room.add_argument("--moderator", required=True, help="The alias of a listener (create them first).")
        room.add_argument("--audience", choices=AgeGroup.values, default=AgeGroup.ADULT)
        room.add_argument(
            "--capacity", type=int, default=30, help="Members at once, moderators not counted (default 30)."
        )
        room.add_argument("--guideline", default="", help="The pinned guideline (default: a standard one).")

        for sub in (listener, staff, room):
            sub.add_argument(
                "--force", action="store_true", help="Allow with DEBUG off (a throwaway or staging instance only)."
            )

    def handle(self, *args, kind: str, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create ready-made accounts with DEBUG off (use --force on a throwaway instance)."
            )
        # Outside debug, a password that anyone could guess is refused too.
        strict = not settings.DEBUG
        try:
            if kind == "listener":
                made = listener_ensure(
                    username=options["username"] or options["alias"],
                    alias=options["alias"],
                    password=options["password"],
                    topics=_topic_list(options["topics"]),
                    capacity=options["capacity"],
                    teen_approved=options["teen_approved"],
                    bio=options["bio"],
                    check_password_strength=strict,
                )
                user = made.obj
                topics = ", ".join(user.listener_profile.topics.values_list("slug", flat=True))
                detail = (
                    f"listener {user.alias!r} (username {user.username!r}): topics {topics}; "
                    f"capacity {user.listener_profile.default_capacity}; teens {'yes' if user.listener_profile.approved_for_teens else 'no'}"
                )
            elif kind == "staff":
                made = safety_staff_ensure(
                    username=options["username"] or options["alias"],
                    alias=options["alias"],
                    password=options["password"],
                    check_password_strength=strict,
                )
                detail = f"safety staff {made.obj.alias!r} (username {made.obj.username!r})"
            else:
                made = room_ensure(
                    name=options["name"],
                    topic=options["topic"],
                    moderator_alias=options["moderator"],
                    audience=options["audience"],
                    capacity=options["capacity"],
                    guideline=options["guideline"],
                )
                detail = f"room {made.obj.name!r} (id {made.obj.pk}, {made.obj.audience}, topic {made.obj.topic.slug}), moderated by {options['moderator']!r}"
        except ProvisionError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"{'Created' if made.created else 'Up to date'}: {detail}"))
