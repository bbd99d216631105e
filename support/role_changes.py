"""Close a person's sockets the moment their staff rights are taken away.

Group membership is edited in Django admin (or a shell), outside any Hearth
service, so this one rule listens to the membership change itself rather than
relying on every caller to remember it. Rights that remain (another group
still grants them) leave the sockets open.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from support.roles import is_safety_staff
from support.session_events import user_access_revoke

User = get_user_model()
REVOKING_ACTIONS = {"post_remove", "post_clear"}


def _revoke_if_no_longer_staff(user_ids) -> None:
    for user in User.objects.filter(pk__in=user_ids):
        if not is_safety_staff(user):
            user_access_revoke(user_id=user.pk, reason="role_revoked")


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="hearth.groups_changed")
def groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in REVOKING_ACTIONS and action != "pre_clear":
        return
    if action == "pre_clear":
        # After a clear, pk_set is empty: remember who was in it.
        instance._hearth_cleared = list(instance.user_set.values_list("pk", flat=True)) if reverse else [instance.pk]
        return
    if reverse:  # group.user_set.remove(...) / clear()
        user_ids = pk_set if action == "post_remove" else getattr(instance, "_hearth_cleared", [])
    else:  # user.groups.remove(...) / clear()
        user_ids = [instance.pk]
    _revoke_if_no_longer_staff(user_ids)


@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="hearth.permissions_changed")
def permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action in REVOKING_ACTIONS and not reverse:
        _revoke_if_no_longer_staff([instance.pk])
