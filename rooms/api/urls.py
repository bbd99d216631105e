from django.urls import path

from rooms.api import views

urlpatterns = [
    path("rooms", views.RoomListView.as_view(), name="rooms"),
    path("rooms/<int:room_id>", views.RoomDetailView.as_view(), name="room-detail"),
    path("rooms/<int:room_id>/messages", views.RoomMessagesView.as_view(), name="room-messages"),
    path("rooms/<int:room_id>/moderators", views.RoomModeratorsView.as_view(), name="room-moderators"),
    path("rooms/<int:room_id>/reports", views.RoomReportsView.as_view(), name="room-reports"),
    path("staff/room-reports", views.StaffRoomReportsView.as_view(), name="staff-room-reports"),
    path("staff/rooms/<int:room_id>/moderation", views.StaffRoomModerationView.as_view(), name="staff-room-moderation"),
]
