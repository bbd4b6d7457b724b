from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from uat.choices import ExecutionResult


class TestExecution(models.Model):
    """One run of a scenario in a cycle by a pilot user; the latest run counts."""

    entry = models.ForeignKey(
        "uat.CycleScenario",
        verbose_name=_("scenario in cycle"),
        on_delete=models.PROTECT,
        related_name="executions",
    )
    # The entry's cycle's project, kept on the run so a project's runs come latest first
    # from one index (the API lists them) instead of sorting every run through two joins.
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # execution_project_idx starts with it
    )
    # The entry's cycle, kept on the run for the same reason: the cycle dashboard's trend
    # reads a cycle's runs in order from one index range instead of joining every run.
    cycle = models.ForeignKey(
        "uat.TestCycle",
        verbose_name=_("cycle"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # execution_cycle_idx starts with it
    )
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    executed_at = models.DateTimeField(_("run at"), auto_now_add=True)
    result = models.CharField(_("result"), max_length=10, choices=ExecutionResult.choices)
    failed_step = models.ForeignKey(
        "uat.ScenarioStep",
        verbose_name=_("failed at step"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actual_result = models.TextField(_("actual result"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("test execution")
        verbose_name_plural = _("test executions")
        ordering = ["entry", "-executed_at", "-pk"]
        indexes = [
            # The latest run of an entry, its result read from the index alone.
            models.Index(
                fields=["entry", "-executed_at", "-id", "result"], name="execution_latest_idx"
            ),
            # A cycle's runs scenario by scenario, oldest first (the trend's window).
            models.Index(
                fields=["cycle", "entry", "executed_at", "id", "result"],
                name="execution_cycle_idx",
            ),
            models.Index(fields=["project", "-executed_at", "-id"], name="execution_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.entry} · {self.result}"

    def save(self, *args, **kwargs):
        # The cycle and project follow from the entry; derive them so no caller can get
        # them wrong.
        if self.cycle_id is None:
            self.cycle_id = self.entry.cycle_id
        if self.project_id is None:
            self.project_id = self.entry.cycle.project_id
        super().save(*args, **kwargs)
