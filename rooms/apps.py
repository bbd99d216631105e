from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "rooms"
    verbose_name = "Topic group rooms"

    def ready(self) -> None:
        from chat.waiting import room_for_topic_hooks
        from rooms.selectors import room_for_waiting_seeker

        room_for_topic_hooks.append(room_for_waiting_seeker)
