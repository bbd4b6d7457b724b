from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from implementation.choices import Environment
from projects.models import validate_plausible_date


class TestCycle(models.Model):
    """A UAT round: its dates, environment, scenarios in scope and exit criteria."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="test_cycles",
    )
    name = models.CharField(_("name"), max_length=120, help_text=_("For example UAT round 1."))
    starts_on = models.DateField(_("starts on"), validators=[validate_plausible_date])
    ends_on = models.DateField(_("ends on"), validators=[validate_plausible_date])
    environment = models.CharField(
        _("environment"), max_length=20, choices=Environment.choices, default=Environment.TEST
    )
    entry_criteria = models.TextField(_("entry criteria"), blank=True)
    min_pass_rate = models.DecimalField(
        _("minimum pass rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("95"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    max_open_critical = models.PositiveSmallIntegerField(
        _("maximum open critical defects"), default=0
    )
    max_open_high = models.PositiveSmallIntegerField(_("maximum open high defects"), default=0)
    require_all_executed = models.BooleanField(_("every scenario in scope executed"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("test cycle")
        verbose_name_plural = _("test cycles")
        ordering = ["project", "starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="cycle_ends_not_before_start",
                violation_error_message=_("The cycle cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} · {self.name}"


class CycleScenario(models.Model):
    """A scenario in a cycle's scope, with the pilot users assigned to run it."""

    cycle = models.ForeignKey(
        TestCycle, verbose_name=_("cycle"), on_delete=models.CASCADE, related_name="scope"
    )
    scenario = models.ForeignKey(
        "uat.TestScenario",
        verbose_name=_("scenario"),
        on_delete=models.PROTECT,
        related_name="cycle_entries",
    )
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), related_name="+", blank=True
    )

    class Meta:
        verbose_name = _("scenario in scope")
        verbose_name_plural = _("scenarios in scope")
        ordering = ["cycle", "scenario__code"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "scenario"], name="scenario_once_per_cycle"),
        ]

    def __str__(self) -> str:
        return f"{self.cycle.name} · {self.scenario.code}"
