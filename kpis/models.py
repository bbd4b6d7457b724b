import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kpis.choices import Cadence, Direction, KpiCategory, MeasurementSource
from projects.documents import GeneratedPdf
from projects.models import validate_plausible_date

# Fifteen significant digits at most: SQLite keeps decimals as floats, and a longer value
# would not read back as it was written.
LARGEST_VALUE = Decimal("99999999999.9999")
DIGITS = {"max_digits": 16, "decimal_places": 4}
VALUE = {
    **DIGITS,
    "validators": [MinValueValidator(-LARGEST_VALUE), MaxValueValidator(LARGEST_VALUE)],
}


class Kpi(models.Model):
    """A benefit the project promises: a baseline before go-live, a target, measurements after."""

    project = models.ForeignKey(
        "projects.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="kpis"
    )
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=KpiCategory.choices)
    unit = models.CharField(
        _("unit"), max_length=40, help_text=_("For example %, days, orders per hour, users.")
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    baseline_value = models.DecimalField(_("baseline"), null=True, blank=True, **VALUE)
    baseline_date = models.DateField(
        _("baseline date"), null=True, blank=True, validators=[validate_plausible_date]
    )
    baseline_method = models.TextField(
        _("how the baseline was measured"),
        blank=True,
        help_text=_("For example: errors counted in 3 months of invoices before go-live."),
    )
    target_value = models.DecimalField(_("target"), **VALUE)
    target_date = models.DateField(_("target date"), validators=[validate_plausible_date])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who measures it and answers for it."),
    )
    cadence = models.CharField(
        _("measured"), max_length=10, choices=Cadence.choices, default=Cadence.MONTHLY
    )
    module = models.CharField(_("module"), max_length=120, blank=True)
    phase = models.ForeignKey(
        "implementation.Phase",
        verbose_name=_("phase"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kpis",
    )
    template_key = models.CharField(_("made from template"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="kpi_name_per_project"),
            models.CheckConstraint(
                condition=Q(baseline_date__isnull=True) | Q(target_date__gt=F("baseline_date")),
                name="kpi_target_after_baseline",
                violation_error_message=_("The target date must be after the baseline date."),
            ),
            models.CheckConstraint(
                condition=Q(baseline_value__isnull=True, baseline_date__isnull=True)
                | Q(baseline_value__isnull=False, baseline_date__isnull=False),
                name="kpi_baseline_value_and_date_together",
                violation_error_message=_("A baseline needs both a value and a date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("kpis:detail", args=[self.project.code, self.pk])

    @property
    def has_baseline(self) -> bool:
        return self.baseline_value is not None and self.baseline_date is not None


class BaselineChange(models.Model):
    """Every recording or change of a KPI's baseline: old and new, who, when and why."""

    kpi = models.ForeignKey(
        Kpi, verbose_name=_("KPI"), on_delete=models.CASCADE, related_name="baseline_changes"
    )
    old_value = models.DecimalField(_("old baseline"), null=True, blank=True, **VALUE)
    old_date = models.DateField(_("old baseline date"), null=True, blank=True)
    old_method = models.TextField(_("old method"), blank=True)
    new_value = models.DecimalField(_("new baseline"), **VALUE)
    new_date = models.DateField(_("new baseline date"))
    new_method = models.TextField(_("new method"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    after_go_live = models.BooleanField(_("changed after go-live"), default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("baseline change")
        verbose_name_plural = _("baseline changes")
        ordering = ["kpi", "changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kpi.name}: {self.old_value} -> {self.new_value}"


class Measurement(models.Model):
    """One value of a KPI on a day; a correction keeps the values it replaced."""

    kpi = models.ForeignKey(
        Kpi, verbose_name=_("KPI"), on_delete=models.CASCADE, related_name="measurements"
    )
    measured_on = models.DateField(_("date"), validators=[validate_plausible_date])
    value = models.DecimalField(_("value"), **VALUE)
    note = models.TextField(_("note"), blank=True)
    source = models.CharField(
        _("source"),
        max_length=10,
        choices=MeasurementSource.choices,
        default=MeasurementSource.MANUAL,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # Earlier values of this day, newest last: [{"value", "note", "by", "at"}].
    corrections = models.JSONField(_("earlier values"), default=list, blank=True)

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["kpi", "-measured_on"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "measured_on"], name="measurement_once_a_day"),
        ]
        indexes = [models.Index(fields=["kpi", "-measured_on"], name="measurement_latest_idx")]

    def __str__(self) -> str:
        return f"{self.kpi.name} · {self.measured_on}: {self.value}"


def report_path(instance: "BenefitsReport", filename: str) -> str:
    return f"reports/{instance.project_id}/{uuid.uuid4().hex}.pdf"


class BenefitsReport(GeneratedPdf):
    """A benefits report PDF for executives, built by a worker; past ones stay downloadable."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="benefits_reports",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    as_of = models.DateField(_("figures as of"))
    file = models.FileField(_("file"), upload_to=report_path, max_length=255, blank=True)

    class Meta:
        verbose_name = _("benefits report")
        verbose_name_plural = _("benefits reports")
        ordering = ["project", "-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.project.code} · {self.as_of} · {self.status}"

    @property
    def period(self) -> str:
        return self.as_of.isoformat()
