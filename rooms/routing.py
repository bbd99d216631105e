"""Room websocket routes."""

from django.urls import re_path

from rooms.consumers import RoomConsumer

# Any segment is routed, so a malformed id gets the documented 4404 close instead of a failed route.
websocket_urlpatterns = [re_path(r"^ws/v1/rooms/(?P<room_id>[^/]{1,30})/$", RoomConsumer.as_asgi())]
urlpatterns: list = []
