"""Safety-staff websocket routes."""

from django.urls import path

from safety.consumers import StaffConsumer

websocket_urlpatterns = [path("ws/v1/staff/", StaffConsumer.as_asgi())]
