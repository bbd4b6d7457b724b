from django.contrib import admin

from implementation.models import ChecklistItem, Phase


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = ["position", "kind", "title", "is_mandatory", "due_date", "owner", "done_at"]
    raw_id_fields = ["owner"]


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ["project", "kind", "status", "planned_start", "planned_end", "owner"]
    list_filter = ["kind", "status"]
    search_fields = ["project__code", "project__name"]
    list_select_related = ["project"]
    raw_id_fields = ["owner"]
    inlines = [ChecklistItemInline]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["title", "phase", "kind", "is_mandatory", "due_date", "done_at"]
    list_filter = ["kind", "is_mandatory", "phase__kind"]
    search_fields = ["title", "phase__project__code"]
    list_select_related = ["phase__project"]
    raw_id_fields = ["owner", "done_by", "phase"]
