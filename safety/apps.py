from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "safety"
    verbose_name = "Safety"

    def ready(self) -> None:
        from safety.signin_alerts import signin_lock_record
        from support.signin import signin_locked

        signin_locked.connect(signin_lock_record, dispatch_uid="safety.signin_lock_record")

        from chat.screener import message_screener_register
        from safety.message_screener import SCREENER

        message_screener_register(SCREENER)
