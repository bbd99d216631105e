"""Room tooling for staff: rooms, hours and moderators editable by room managers; messages and audit read-only."""

from __future__ import annotations

from django.contrib import admin

from rooms.models import Room, RoomModerationAction, RoomModerator, RoomOpeningHours
from support.roles import can_manage_rooms, is_safety_staff


class OpeningHoursInline(admin.TabularInline):
    model = RoomOpeningHours
    extra = 1


class ModeratorInline(admin.TabularInline):
    model = RoomModerator
    fk_name = "room"
    extra = 1
    raw_id_fields = ["listener"]
    readonly_fields = ["granted_by", "created_at"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "topic", "audience", "capacity", "slow_mode_seconds", "is_active"]
    list_filter = ["audience", "topic", "is_active"]
    search_fields = ["name"]
    readonly_fields = ["last_seq", "created_by", "created_at"]
    inlines = [OpeningHoursInline, ModeratorInline]

    def has_module_permission(self, request):
        return can_manage_rooms(request.user)

    def has_view_permission(self, request, obj=None):
        return can_manage_rooms(request.user)

    def has_add_permission(self, request):
        return can_manage_rooms(request.user)

    def has_change_permission(self, request, obj=None):
        return can_manage_rooms(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: messages and the audit trail stay

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, RoomModerator) and instance.granted_by_id is None:
                instance.granted_by = request.user
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(RoomModerationAction)
class RoomModerationActionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "room", "action", "actor", "target_user"]
    list_filter = ["action"]
    readonly_fields = [field.name for field in RoomModerationAction._meta.fields]

    def has_module_permission(self, request):
        return is_safety_staff(request.user) or can_manage_rooms(request.user)

    def has_view_permission(self, request, obj=None):
        return is_safety_staff(request.user) or can_manage_rooms(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
