from django.urls import path

from chat.api import views

urlpatterns = [
    path("conversations", views.ConversationListView.as_view(), name="conversations"),
    path("conversations/<int:conversation_id>", views.ConversationDetailView.as_view(), name="conversation"),
    path("conversations/<int:conversation_id>/messages", views.MessageListView.as_view(), name="conversation-messages"),
    path("requests/mine", views.MyRequestView.as_view(), name="my-request"),
]
