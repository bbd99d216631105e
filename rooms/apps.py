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

        from chat.waiting import room_for_topic_hooks
        from listeners.services import audience_revoked_hooks
        from rooms.selectors import room_flag_context_for_staff, room_for_waiting_seeker
        from rooms.services import rooms_audience_revoked
        from safety.selectors import room_context_reader_register

        room_for_topic_hooks.append(room_for_waiting_seeker)
        audience_revoked_hooks.append(rooms_audience_revoked)
        room_context_reader_register(room_flag_context_for_staff)
