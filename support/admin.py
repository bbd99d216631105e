from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError

from support.models import Connection, Topic, User
from support.signin import TOO_MANY_ATTEMPTS_MESSAGE, signin_refusal


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in form, saying so when the sign-in throttle (support/signin.py) refused."""

    def get_invalid_login_error(self):
        refusal = signin_refusal(self.request)
        if refusal is not None:
            minutes = max(1, -(-refusal.retry_after // 60))
            return ValidationError(f"{TOO_MANY_ATTEMPTS_MESSAGE} (about {minutes} min)", code="rate_limited")
        return super().get_invalid_login_error()


admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(User)
class HearthUserAdmin(UserAdmin):
    list_display = ("username", "alias", "role", "age_group", "is_active", "is_staff")
    list_filter = ("role", "age_group", "is_active", "groups")
    search_fields = ("username", "alias")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Hearth", {"fields": ("alias", "role", "age_group")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "alias", "role", "password1", "password2")}),)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "display_order")
    list_editable = ("is_active", "display_order")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "slug")


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    """Open sockets, for diagnosing presence; read-only."""

    list_display = ("user", "opened_at", "last_seen_at")
    readonly_fields = ("channel_name", "user", "opened_at", "last_seen_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
