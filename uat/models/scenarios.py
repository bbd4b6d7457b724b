from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.choices import Department
from uat.choices import Priority


class TestScenario(models.Model):
    """A business scenario a pilot user runs: ordered steps, each with its expected result."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="test_scenarios",
    )
    code = models.CharField(_("code"), max_length=30, help_text=_("For example UAT-FIN-07."))
    title = models.CharField(_("title"), max_length=200)
    module = models.CharField(
        _("business process or module"),
        max_length=120,
        help_text=_("For example Sales - Quotation to order, Finance - Month-end close."),
    )
    department = models.CharField(
        _("department"), max_length=20, choices=Department.choices, default=Department.OTHER
    )
    preconditions = models.TextField(_("preconditions"), blank=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    configuration_change = models.ForeignKey(
        "implementation.ConfigurationChange",
        verbose_name=_("configuration change"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="test_scenarios",
    )
    requirement_reference = models.CharField(_("requirement reference"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("test scenario")
        verbose_name_plural = _("test scenarios")
        ordering = ["project", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="scenario_code_per_project"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.title}"


class ScenarioStep(models.Model):
    """One step of a scenario: what to do and what should happen."""

    scenario = models.ForeignKey(
        TestScenario, verbose_name=_("scenario"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(_("step"))
    action = models.TextField(_("action"))
    expected_result = models.TextField(_("expected result"))

    class Meta:
        verbose_name = _("scenario step")
        verbose_name_plural = _("scenario steps")
        ordering = ["scenario", "position"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "position"], name="step_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scenario.code} #{self.position}"
