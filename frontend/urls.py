from django.urls import path

from frontend import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("talk/", views.talk, name="talk"),
    path("account/", views.account, name="account"),
    path("privacy/", views.privacy, name="privacy"),
    path("listen/", views.listen, name="listen"),
    path("listen/apply/", views.listen_apply, name="listen-apply"),
    path("listen/training/", views.training, name="listen-training"),
    path("listen/training/<slug:slug>/", views.training, name="listen-training-module"),
    path("staff/", views.staff, name="staff"),
    path("rooms/", views.rooms, name="rooms"),
    path("rooms/<int:room_id>/", views.room, name="room"),
]
