from django.urls import path

from metrics import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="metrics-dashboard"),
    path("dashboard/<slug:figure>.csv", views.dashboard_csv, name="metrics-csv"),
]
