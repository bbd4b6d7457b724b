from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from implementation.models.migration import PERCENT
from projects.models import validate_plausible_date

DEFAULT_TRAINING_THRESHOLD = Decimal(90)


class GoLivePlan(models.Model):
    """A project's go-live settings: readiness thresholds, freeze, rollback and support plan.

    One per project, made on first use with the defaults.
    """

    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="golive_plan",
    )
    training_threshold = models.DecimalField(
        _("training coverage needed (%)"),
        default=DEFAULT_TRAINING_THRESHOLD,
        help_text=_("Share of each department's end users who must have attended training."),
        **PERCENT,
    )
    legacy_freeze_at = models.DateTimeField(
        _("legacy system frozen at"),
        null=True,
        blank=True,
        validators=[validate_plausible_date],
        help_text=_("From this moment nobody enters data in the old system."),
    )
    rollback_decision_at = models.DateTimeField(
        _("rollback decision point"),
        null=True,
        blank=True,
        validators=[validate_plausible_date],
        help_text=_("The last moment to decide to go back to the old system."),
    )
    rollback_criteria = models.TextField(
        _("rollback criteria"),
        blank=True,
        help_text=_("What makes the team go back, for example: invoices cannot be posted."),
    )
    support_plan = models.TextField(
        _("support plan"),
        blank=True,
        help_text=_("How users get help after go-live: channels, hours, escalation."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("go-live plan")
        verbose_name_plural = _("go-live plans")

    def __str__(self) -> str:
        return str(self.project)
