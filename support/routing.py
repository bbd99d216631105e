"""All websocket routes, gathered from the apps' own routing modules."""

from chat.routing import websocket_urlpatterns as chat_routes
from rooms.routing import websocket_urlpatterns as room_routes
from safety.routing import websocket_urlpatterns as safety_routes

websocket_urlpatterns = [*chat_routes, *safety_routes, *room_routes]
