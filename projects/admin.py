from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from projects.models import Membership, Project, User


@admin.register(User)
class RolloutUserAdmin(UserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_staff"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "client_organisation",
        "system_kind",
        "status",
        "target_go_live",
    ]
    list_filter = ["status", "system_kind"]
    search_fields = ["code", "name", "client_organisation"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [MembershipInline]

    def has_delete_permission(self, request, obj=None):
        # Projects carry history (sign-offs, configuration log): close them, never delete.
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["project", "user", "role", "department"]
    list_filter = ["role", "department"]
    search_fields = ["project__code", "user__username", "user__email"]
    list_select_related = ["project", "user"]
    autocomplete_fields = ["project", "user"]
