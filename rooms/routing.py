"""Room websocket routes (the room consumer arrives with the rooms issue)."""

websocket_urlpatterns: list = []
