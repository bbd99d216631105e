"""Load demo accounts for the embedded default (idempotent)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from listeners.models import ListenerProfile, ListenerStatus
from support.models import Role, Topic, User
from support.roles import SAFETY_STAFF_GROUP

DEMO_LISTENER = ("listener", "KindLantern", "hearth-demo-listener")
DEMO_STAFF = ("safety", "SafetyDesk", "hearth-demo-safety")


class Command(BaseCommand):
    help = "Create the demo listener and safety-staff accounts (idempotent) and print their credentials."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow with DEBUG off (never on a real deployment).")

    @transaction.atomic
    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to create demo accounts with DEBUG off (use --force on a throwaway instance).")
        listener = self._account(DEMO_LISTENER, Role.LISTENER)
        profile, _ = ListenerProfile.objects.get_or_create(user=listener)
        profile.status = ListenerStatus.ACTIVE
        profile.trained_at = profile.trained_at or timezone.now()
        profile.approved_for_adults = True
        profile.approved_for_teens = True
        profile.wants_teens = True
        profile.bio = profile.bio or "Demo listener. I'm here to listen, without judgement."
        profile.save()
        profile.topics.set(Topic.objects.filter(is_active=True))
        staff = self._account(DEMO_STAFF, Role.STAFF)
        staff.groups.add(Group.objects.get(name=SAFETY_STAFF_GROUP))
        self.stdout.write(self.style.SUCCESS("Demo data ready:"))
        self.stdout.write(f"  listener      username {DEMO_LISTENER[0]!r}  password {DEMO_LISTENER[2]!r}")
        self.stdout.write(f"  safety staff  username {DEMO_STAFF[0]!r}  password {DEMO_STAFF[2]!r}")
        self.stdout.write("  seekers start anonymously from the home page.")

    def _account(self, spec, role) -> User:
        username, alias, password = spec
        user, created = User.objects.get_or_create(username=username, defaults={"alias": alias, "role": role})
        if created or not user.check_password(password):
            user.set_password(password)
            user.role = role
            user.save()
        return user
