from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "rooms"
    verbose_name = "Topic group rooms"

    def ready(self) -> None:
        # Imported here: models are loaded only once ready() runs.
        from rooms import retention as rooms_retention
        from safety import retention

        for rule in rooms_retention.RULES:
            retention.retention_rule_register(rule)
        retention.account_part_register("rooms", rooms_retention.ACCOUNT_PART)
