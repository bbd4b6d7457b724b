from django.contrib import admin

from uat.models import (
    Attachment,
    CycleScenario,
    Defect,
    DefectComment,
    DefectEvent,
    ScenarioStep,
    Signatory,
    Signature,
    SignOff,
    SignoffLedger,
    SignoffPdf,
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


# --- Sign-offs: history, shown and never written here ----------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Sign-off records change only through their services (and sealed ones never): the
    admin lists and shows them, and refuses to add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SignatoryInline(ReadOnlyInline):
    model = Signatory
    fields = ["position", "user", "role_title", "meaning"]
    readonly_fields = fields


class SignatureInline(ReadOnlyInline):
    model = Signature
    fields = [
        "signed_at",
        "printed_name",
        "role_title",
        "decision",
        "comment",
        "ip_address",
        "snapshot_hash",
        "signature_hash",
    ]
    readonly_fields = fields


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdmin):
    list_display = [
        "display_number",
        "title",
        "project",
        "kind",
        "round",
        "status",
        "requested_at",
        "concluded_at",
        "sequence",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["title", "project__code", "snapshot_hash", "record_hash"]
    list_select_related = ["project"]
    inlines = [SignatoryInline, SignatureInline]


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ["signoff", "printed_name", "role_title", "decision", "signed_at"]
    list_filter = ["decision"]
    search_fields = ["printed_name", "signoff__project__code", "signature_hash"]
    list_select_related = ["signoff"]


@admin.register(SignoffPdf)
class SignoffPdfAdmin(ReadOnlyAdmin):
    list_display = ["signoff", "status", "size", "attempts", "built_at"]
    list_filter = ["status"]
    search_fields = ["sha256", "signoff__project__code"]
    list_select_related = ["signoff"]


@admin.register(SignoffLedger)
class SignoffLedgerAdmin(ReadOnlyAdmin):
    list_display = ["project", "length", "head_hash"]
    list_select_related = ["project"]
