import pytest

from listeners.models import ListenerDecision, ListenerProfile, ListenerStatus


@pytest.fixture
def admin_manager(manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    return manager


@pytest.mark.django_db
def test_admin_suspend_action_goes_through_the_audited_service(admin_manager, listener):
    from django.test import Client

    client = Client()
    client.force_login(admin_manager)
    profile = ListenerProfile.objects.get(user=listener)
    response = client.post(
        "/admin/listeners/listenerprofile/",
        {"action": "decide_suspend", "_selected_action": [profile.pk]},
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.status == ListenerStatus.SUSPENDED
    assert ListenerDecision.objects.get(listener=listener).decided_by == admin_manager


@pytest.mark.django_db
def test_ratings_and_decisions_are_read_only_in_admin(admin_manager):
    from django.contrib import admin

    from listeners.models import Rating

    request = type("R", (), {"user": admin_manager})()
    for model in (Rating, ListenerDecision):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert not model_admin.has_add_permission(request)


@pytest.mark.django_db
def test_the_admin_page_of_an_application_shows_the_practice_chat_escaped(admin_manager, api_client):
    from django.test import Client

    from tests.listeners.test_application import PRACTICE_REPLIES, URL, application

    replies = [*PRACTICE_REPLIES[:-1], "<b>hello</b> add me on instagram @steady.river"]
    assert api_client.post(URL, application(practice_replies=replies), format="json").status_code == 201
    profile = ListenerProfile.objects.get(user__alias="SteadyRiver")
    client = Client()
    client.force_login(admin_manager)
    page = client.get(f"/admin/listeners/listenerprofile/{profile.pk}/change/").content.decode()
    assert "Practice chat" in page and "can i add you on instagram" in page
    assert "&lt;b&gt;hello&lt;/b&gt;" in page and "<b>hello</b>" not in page
    assert "would have been held by screening" in page
    assert "Training results" in page and "Reflective listening" in page
