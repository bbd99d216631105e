import pytest

from support.models import Topic
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(client):
    admin = UserFactory(username="root", alias="Root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_topics_are_managed_in_admin(admin_client_logged_in):
    assert admin_client_logged_in.get("/admin/support/topic/").status_code == 200
    response = admin_client_logged_in.post(
        "/admin/support/topic/add/",
        {"slug": "money", "name": "Money worries", "description": "", "display_order": 200, "is_active": "on"},
    )
    assert response.status_code == 302
    assert Topic.objects.filter(slug="money").exists()


def test_users_are_listed_in_admin(admin_client_logged_in):
    assert admin_client_logged_in.get("/admin/support/user/").status_code == 200
