from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from implementation.choices import CleansingStatus, LoadKind, Reconciliation
from kpis.models import VALUE
from projects.models import validate_plausible_date

PERCENT = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
}


class MigrationObject(models.Model):
    """One kind of data moved from the legacy system: customers, open orders, balances..."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="migration_objects",
    )
    name = models.CharField(
        _("data object"),
        max_length=120,
        help_text=_("For example chart of accounts, customers, items, opening balances."),
    )
    source_system = models.CharField(_("source system"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("data owner"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The business person who answers for this data and signs each load off."),
    )
    mapping_notes = models.TextField(_("mapping notes"), blank=True)
    cleansing_status = models.CharField(
        _("cleansing"),
        max_length=20,
        choices=CleansingStatus.choices,
        default=CleansingStatus.NOT_STARTED,
    )
    control_total_label = models.CharField(
        _("control total"),
        max_length=120,
        blank=True,
        help_text=_(
            "What is summed in source and target to check a load, for example the sum of "
            "open balances. Leave empty when only records are counted."
        ),
    )
    tolerance_percent = models.DecimalField(
        _("tolerance (%)"),
        default=Decimal(0),
        help_text=_(
            "How far records and control totals may differ and still pass, in per cent. "
            "0 means they must match exactly."
        ),
        **PERCENT,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("migration object")
        verbose_name_plural = _("migration objects")
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="migration_object_name_per_project",
                violation_error_message=_("This project already has a data object of that name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("golive:migration-object", args=[self.project.code, self.pk])


class MigrationLoad(models.Model):
    """A trial (mock) or final load of one data object, with its counts and control totals.

    The reconciliation status follows from the numbers and the tolerance the object had when
    the load was recorded (copied here, so a later change of tolerance does not rewrite
    history). Once the data owner signs the load off, it is frozen.
    """

    migration_object = models.ForeignKey(
        MigrationObject,
        verbose_name=_("data object"),
        on_delete=models.PROTECT,
        related_name="loads",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="migration_loads",
    )
    sequence = models.PositiveSmallIntegerField(_("load number"), editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=LoadKind.choices)
    loaded_at = models.DateTimeField(_("loaded at"), validators=[validate_plausible_date])
    source_count = models.PositiveIntegerField(_("records in source"))
    loaded_count = models.PositiveIntegerField(_("records loaded"))
    rejected_count = models.PositiveIntegerField(_("records rejected"), default=0)
    source_total = models.DecimalField(_("control total in source"), null=True, blank=True, **VALUE)
    target_total = models.DecimalField(_("control total in target"), null=True, blank=True, **VALUE)
    tolerance_percent = models.DecimalField(_("tolerance (%)"), editable=False, **PERCENT)
    reconciliation = models.CharField(
        _("reconciliation"), max_length=20, choices=Reconciliation.choices, editable=False
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    sign_off_comment = models.TextField(_("sign-off comment"), blank=True)

    class Meta:
        verbose_name = _("migration load")
        verbose_name_plural = _("migration loads")
        ordering = ["migration_object", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["migration_object", "sequence"], name="migration_load_number_per_object"
            ),
            models.CheckConstraint(
                condition=Q(source_count__gte=F("loaded_count") + F("rejected_count")),
                name="migration_load_accounted_records",
                violation_error_message=_(
                    "Loaded and rejected records together cannot exceed the records in source."
                ),
            ),
        ]
        indexes = [
            models.Index(
                fields=["project", "migration_object", "-sequence"], name="load_latest_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.migration_object} · {self.label}"

    @property
    def label(self) -> str:
        if self.kind == LoadKind.FINAL:
            return str(_("Final load (load %(number)d)") % {"number": self.sequence})
        return str(_("Mock %(number)d") % {"number": self.sequence})

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_at is not None
