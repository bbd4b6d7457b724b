from django.contrib import admin

from uat.models import (
    Attachment,
    CycleScenario,
    Defect,
    DefectComment,
    DefectEvent,
    ScenarioStep,
    TestCycle,
    TestExecution,
    TestScenario,
)


class ReadOnlyInline(admin.TabularInline):
    """History shown in admin, never edited there."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScenarioStepInline(admin.TabularInline):
    model = ScenarioStep
    extra = 0


@admin.register(TestScenario)
class TestScenarioAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "project", "module", "department", "priority"]
    list_filter = ["department", "priority"]
    search_fields = ["code", "title", "module", "project__code"]
    list_select_related = ["project"]
    raw_id_fields = ["configuration_change"]
    inlines = [ScenarioStepInline]


class CycleScenarioInline(admin.TabularInline):
    model = CycleScenario
    extra = 0
    raw_id_fields = ["scenario"]
    filter_horizontal = ["assignees"]


@admin.register(TestCycle)
class TestCycleAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "starts_on", "ends_on", "environment"]
    search_fields = ["name", "project__code"]
    list_select_related = ["project"]
    inlines = [CycleScenarioInline]


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


@admin.register(TestExecution)
class TestExecutionAdmin(admin.ModelAdmin):
    list_display = ["entry", "result", "executed_by", "executed_at"]
    list_filter = ["result"]
    list_select_related = ["entry__cycle", "entry__scenario", "executed_by"]
    raw_id_fields = ["entry", "executed_by", "failed_step"]
    inlines = [AttachmentInline]


class DefectEventInline(ReadOnlyInline):
    model = DefectEvent
    fields = ["at", "actor", "from_status", "to_status", "comment", "changes"]
    readonly_fields = fields


class DefectCommentInline(ReadOnlyInline):
    model = DefectComment
    fields = ["created_at", "author", "body"]
    readonly_fields = fields


@admin.register(Defect)
class DefectAdmin(admin.ModelAdmin):
    """Defects move only through the workflow: status and its fields are read-only here."""

    list_display = ["display_number", "title", "project", "severity", "status", "assignee"]
    list_filter = ["severity", "status"]
    search_fields = ["title", "project__code", "module"]
    list_select_related = ["project", "assignee"]
    raw_id_fields = ["reporter", "assignee", "cycle", "execution", "duplicate_of"]
    readonly_fields = [
        "status",
        "fixed_by",
        "duplicate_of",
        "deferral_reason",
        "workaround",
        "target_date",
    ]
    inlines = [DefectEventInline, DefectCommentInline, AttachmentInline]

    def has_delete_permission(self, request, obj=None):
        return False
