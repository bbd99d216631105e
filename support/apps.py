from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Hearth core (identities and topics)"

    def ready(self) -> None:
        from support import (
            checks,  # noqa: F401  (registers system checks)
            devices,  # noqa: F401  (registers the check that a device policy is installed)
            role_changes,  # noqa: F401  (closes sockets when staff rights are removed)
            signin,  # noqa: F401  (marks known devices at every sign-in)
        )
