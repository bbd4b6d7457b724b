"""KPIs in admin: shown, and edited only where no rule is bypassed.

Baselines change only through kpis.services.kpi_set_baseline (locked from go-live on, a
reason and a BaselineChange row every time), and measurements through the measurement
services (one per day, corrections kept). So the admin shows the baseline, its history and
the measurements read-only, and never deletes a history row.
"""

from django.contrib import admin

from kpis.models import BaselineChange, BenefitsReport, Kpi, Measurement
from projects.admin import GeneratedPdfAdmin, ReadOnlyAdmin

BASELINE_FIELDS = ["baseline_value", "baseline_date", "baseline_method"]


class ReadOnlyInline(admin.TabularInline):
    """History shown in admin, never edited there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BaselineChangeInline(ReadOnlyInline):
    model = BaselineChange
    fields = [
        "changed_at",
        "changed_by",
        "old_value",
        "old_date",
        "new_value",
        "new_date",
        "reason",
        "after_go_live",
    ]
    readonly_fields = fields


class MeasurementInline(ReadOnlyInline):
    model = Measurement
    fields = ["measured_on", "value", "note", "source", "recorded_by", "recorded_at"]
    readonly_fields = fields
    ordering = ["-measured_on"]


@admin.register(Kpi)
class KpiAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "category", "owner", "baseline_value", "target_value"]
    list_filter = ["category", "cadence"]
    search_fields = ["name", "project__code"]
    list_select_related = ["project", "owner"]
    raw_id_fields = ["owner", "created_by", "phase"]
    readonly_fields = [*BASELINE_FIELDS, "created_by", "created_at", "updated_at"]
    inlines = [BaselineChangeInline, MeasurementInline]

    def get_readonly_fields(self, request, obj=None):
        # The project is chosen once: moving a KPI would carry its history elsewhere.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "project"] if obj is not None else fields

    def has_add_permission(self, request):
        # A new KPI needs the service's checks (owner on the team, baseline before go-live).
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BaselineChange)
class BaselineChangeAdmin(ReadOnlyAdmin):
    """The baseline history: shown, never written here."""

    list_display = ["kpi", "old_value", "new_value", "after_go_live", "changed_by", "changed_at"]
    list_filter = ["after_go_live"]
    search_fields = ["kpi__name", "kpi__project__code", "reason"]
    list_select_related = ["kpi__project", "changed_by"]


@admin.register(BenefitsReport)
class BenefitsReportAdmin(GeneratedPdfAdmin):
    pass
