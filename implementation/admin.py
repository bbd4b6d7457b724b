from django.contrib import admin

from implementation.models import (
    ActionItem,
    Attendance,
    ChecklistItem,
    CommunicationActivity,
    ConfigurationChange,
    CutoverRehearsal,
    CutoverTask,
    EndUser,
    FeedbackResponse,
    GoLivePlan,
    HypercarePlan,
    MigrationLoad,
    MigrationObject,
    ModuleReview,
    Phase,
    PhaseTransition,
    ReminderAddressFailure,
    ReviewMeeting,
    ReviewReminder,
    SlaTarget,
    Ticket,
    TicketEvent,
    TrainingSession,
    WeeklyStatusReport,
)
from projects.admin import GeneratedPdfAdmin, ReadOnlyAdmin


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = ["position", "kind", "title", "is_mandatory", "due_date", "owner", "done_at"]
    readonly_fields = ["done_at"]
    raw_id_fields = ["owner"]

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.is_open

    def has_add_permission(self, request, obj=None):
        return obj is None or obj.is_open

    def has_delete_permission(self, request, obj=None):
        return False


class PhaseTransitionInline(admin.TabularInline):
    """A phase's history is read-only, here as everywhere."""

    model = PhaseTransition
    extra = 0
    fields = ["at", "from_status", "to_status", "actor", "is_waiver", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ["project", "kind", "status", "planned_start", "planned_end", "owner"]
    list_filter = ["kind", "status"]
    search_fields = ["project__code", "project__name"]
    list_select_related = ["project"]
    raw_id_fields = ["owner"]
    readonly_fields = ["status", "waiver_reason", "waived_by", "waived_at"]
    inlines = [ChecklistItemInline, PhaseTransitionInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    """Who ticked what is the gate's record: read-only here, and frozen with the phase."""

    list_display = ["title", "phase", "kind", "is_mandatory", "due_date", "done_at"]
    list_filter = ["kind", "is_mandatory", "phase__kind"]
    search_fields = ["title", "phase__project__code"]
    list_select_related = ["phase__project"]
    raw_id_fields = ["owner", "phase"]
    readonly_fields = ["done_at", "done_by"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.phase.is_open)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConfigurationChange)
class ConfigurationChangeAdmin(ReadOnlyAdmin):
    """The configuration log is append-only: even superusers only read it here."""

    list_display = ["display_number", "project", "area", "setting", "environment", "applied_at"]
    list_filter = ["environment", "area"]
    search_fields = ["project__code", "area", "setting", "reference", "reason"]
    list_select_related = ["project"]


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ["title", "owner", "due_date", "status"]
    raw_id_fields = ["owner"]


@admin.register(ReviewMeeting)
class ReviewMeetingAdmin(admin.ModelAdmin):
    list_display = ["project", "held_on", "created_by"]
    search_fields = ["project__code", "notes", "decisions"]
    list_select_related = ["project", "created_by"]
    raw_id_fields = ["created_by"]
    filter_horizontal = ["attendees"]
    inlines = [ActionItemInline]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "owner", "due_date", "status"]
    list_filter = ["status"]
    search_fields = ["title", "project__code"]
    list_select_related = ["project", "owner"]
    raw_id_fields = ["owner", "created_by", "raised_in", "project"]


@admin.register(ReviewReminder)
class ReviewReminderAdmin(ReadOnlyAdmin):
    list_display = ["project", "user", "week", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    search_fields = ["project__code", "user__username", "week"]
    list_select_related = ["project", "user"]


@admin.register(WeeklyStatusReport)
class WeeklyStatusReportAdmin(GeneratedPdfAdmin):
    pass


@admin.register(ReminderAddressFailure)
class ReminderAddressFailureAdmin(ReadOnlyAdmin):
    list_display = ["user", "email", "consecutive_failures", "last_failed_at"]
    search_fields = ["user__username", "email"]
    list_select_related = ["user"]


# --- Go-live readiness: read here, written in the application where the rules are -----------


@admin.register(MigrationObject)
class MigrationObjectAdmin(ReadOnlyAdmin):
    list_display = ["project", "name", "source_system", "owner", "cleansing_status"]
    list_filter = ["cleansing_status"]
    search_fields = ["project__code", "name"]
    list_select_related = ["project", "owner"]


@admin.register(MigrationLoad)
class MigrationLoadAdmin(ReadOnlyAdmin):
    list_display = [
        "migration_object",
        "sequence",
        "kind",
        "source_count",
        "loaded_count",
        "rejected_count",
        "reconciliation",
        "signed_off_at",
    ]
    list_filter = ["kind", "reconciliation"]
    search_fields = ["project__code", "migration_object__name"]
    list_select_related = ["migration_object"]


@admin.register(CutoverTask)
class CutoverTaskAdmin(ReadOnlyAdmin):
    list_display = ["project", "number", "title", "owner", "planned_start", "status"]
    list_filter = ["status"]
    search_fields = ["project__code", "title"]
    list_select_related = ["project", "owner"]


@admin.register(CutoverRehearsal)
class CutoverRehearsalAdmin(ReadOnlyAdmin):
    list_display = ["project", "held_on", "outcome"]
    list_select_related = ["project"]


@admin.register(CommunicationActivity)
class CommunicationActivityAdmin(ReadOnlyAdmin):
    list_display = ["project", "planned_on", "kind", "title", "owner", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["project__code", "title"]
    list_select_related = ["project", "owner"]


@admin.register(EndUser)
class EndUserAdmin(ReadOnlyAdmin):
    list_display = ["project", "name", "department", "email"]
    list_filter = ["department"]
    search_fields = ["project__code", "name", "email"]
    list_select_related = ["project"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(ReadOnlyAdmin):
    list_display = ["project", "starts_at", "title", "trainer"]
    search_fields = ["project__code", "title"]
    list_select_related = ["project", "trainer"]


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin):
    list_display = ["session", "end_user", "attended"]
    list_select_related = ["session", "end_user"]


@admin.register(GoLivePlan)
class GoLivePlanAdmin(ReadOnlyAdmin):
    list_display = ["project", "training_threshold", "legacy_freeze_at", "rollback_decision_at"]
    list_select_related = ["project"]


# --- Hypercare: read here, written in the application -----------------------------------------


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    fields = ["at", "actor", "from_status", "to_status", "comment", "changes"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["project", "number", "title", "severity", "status", "assignee", "created_at"]
    list_filter = ["severity", "status", "source"]
    search_fields = ["project__code", "title", "module"]
    list_select_related = ["project", "assignee"]
    inlines = [TicketEventInline]


@admin.register(HypercarePlan)
class HypercarePlanAdmin(ReadOnlyAdmin):
    list_display = ["project", "planned_end", "work_starts", "work_ends", "working_days"]
    list_select_related = ["project"]


@admin.register(SlaTarget)
class SlaTargetAdmin(ReadOnlyAdmin):
    list_display = [
        "project",
        "severity",
        "response_value",
        "response_unit",
        "resolution_value",
        "resolution_unit",
    ]
    list_select_related = ["project"]


@admin.register(FeedbackResponse)
class FeedbackResponseAdmin(ReadOnlyAdmin):
    list_display = ["project", "week", "respondent", "department", "satisfaction"]
    list_filter = ["week"]
    list_select_related = ["project", "respondent"]


@admin.register(ModuleReview)
class ModuleReviewAdmin(ReadOnlyAdmin):
    list_display = ["project", "module", "reviewed_on", "decision", "reviewer"]
    list_filter = ["decision"]
    list_select_related = ["project", "reviewer"]
