"""Safety-staff websocket routes (the staff consumer arrives with the safety issue)."""

websocket_urlpatterns: list = []
