from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from implementation.choices import Environment
from projects.models import validate_plausible_date


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete a configuration log entry."""


class ConfigurationChangeQuerySet(models.QuerySet):
    # The log is history: bulk updates and deletes are refused at the ORM level too.
    def update(self, **kwargs):
        raise AppendOnlyError("The configuration log is append-only.")

    def delete(self):
        raise AppendOnlyError("The configuration log is append-only.")


class ConfigurationChange(models.Model):
    """One change to the target system's configuration; append-only, corrected by a new entry."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="configuration_changes",
    )
    number = models.PositiveIntegerField(_("number"), editable=False)
    area = models.CharField(
        _("module or area"),
        max_length=120,
        help_text=_("For example Finance - General Ledger, Inventory, CRM - Leads."),
    )
    setting = models.CharField(_("setting or object changed"), max_length=250)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"))
    reason = models.TextField(_("reason"))
    reference = models.CharField(
        _("reference"), max_length=120, blank=True, help_text=_("Requirement or ticket.")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    environment = models.CharField(_("environment"), max_length=20, choices=Environment.choices)
    applied_at = models.DateTimeField(_("applied at"), validators=[validate_plausible_date])
    phase = models.ForeignKey(
        "implementation.Phase",
        verbose_name=_("phase"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="configuration_changes",
    )
    defect = models.ForeignKey(
        "uat.Defect",
        verbose_name=_("caused by defect"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="configuration_changes",
        help_text=_("The defect this change fixes, if any."),
    )
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("corrects entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        help_text=_("The entry this one corrects. The corrected entry stays in the log."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ConfigurationChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("configuration change")
        verbose_name_plural = _("configuration changes")
        ordering = ["project", "-number"]
        # Related lookups and the admin use the base manager: it must refuse updates too.
        base_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="configuration_change_number_per_project"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "-applied_at"], name="config_change_applied_idx"),
            models.Index(fields=["project", "area"], name="config_change_area_idx"),
            # The log joins each entry to its correction (supersedes is unique, nearly always
            # empty). After ANALYZE, SQLite reads the unique index's statistics as "20,000
            # rows a key" (every empty value counts as one key) and scans the table for each
            # entry shown; this index holds only the corrections, so the join stays a lookup.
            models.Index(
                fields=["supersedes"],
                condition=models.Q(supersedes__isnull=False),
                name="config_change_supersedes_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_number} · {self.area}: {self.setting}"

    def save(self, *args, **kwargs):
        # A new entry only: an instance that names an existing row would overwrite it.
        if self.pk is not None and (
            not self._state.adding or type(self)._base_manager.filter(pk=self.pk).exists()
        ):
            raise AppendOnlyError("The configuration log is append-only.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("implementation:config-detail", args=[self.project.code, self.number])

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The configuration log is append-only.")

    @property
    def display_number(self) -> str:
        return f"CFG-{self.number}"
