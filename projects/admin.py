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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the services only (their rules live there), read here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GeneratedPdfAdmin(ReadOnlyAdmin):
    """A generated PDF's record: the build task writes it, and a failed build is retried
    from the application, so that its file and its hash always match."""

    list_display = [
        "project",
        "period",
        "status",
        "attempts",
        "requested_at",
        "built_at",
        "build_seconds",
        "size",
    ]
    list_filter = ["status"]
    search_fields = ["project__code", "project__name"]
    list_select_related = ["project"]
    date_hierarchy = "requested_at"
