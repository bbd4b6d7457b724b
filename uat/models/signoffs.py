import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from projects.documents import GeneratedPdf
from uat.choices import Decision, SigningOrder, SignoffKind, SignoffStatus


class SealedRecordError(Exception):
    """Raised on any attempt to change or delete a sign-off record that is history."""


class _GuardedQuerySet(models.QuerySet):
    # Sign-offs and signatures are history: bulk updates and deletes would bypass every guard.
    def update(self, **kwargs):
        raise SealedRecordError("Sign-off records are changed only through their services.")

    def delete(self):
        raise SealedRecordError("Sign-off records are never deleted.")


class SignOff(models.Model):
    """A formal acceptance of a test cycle or of go-live readiness by named signatories."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="signoffs",
    )
    number = models.PositiveIntegerField(_("number"), editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=SignoffKind.choices)
    cycle = models.ForeignKey(
        "uat.TestCycle",
        verbose_name=_("test cycle"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signoffs",
    )
    phase = models.ForeignKey(
        "implementation.Phase",
        verbose_name=_("phase"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signoffs",
    )
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    previous_round = models.OneToOneField(
        "self",
        verbose_name=_("previous round"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_round",
    )
    title = models.CharField(_("title"), max_length=200)
    signing_order = models.CharField(
        _("signing order"),
        max_length=20,
        choices=SigningOrder.choices,
        default=SigningOrder.PARALLEL,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=SignoffStatus.choices, default=SignoffStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Frozen at the request: the exact canonical JSON and its SHA-256.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), null=True, blank=True)
    snapshot_json = models.TextField(_("snapshot"), blank=True)
    snapshot_hash = models.CharField(_("snapshot SHA-256"), max_length=64, blank=True)
    override_criteria = models.JSONField(_("failing criteria overridden"), default=list, blank=True)
    override_reason = models.TextField(_("override reason"), blank=True)
    # Set when something in scope changed while the request was pending.
    stale_at = models.DateTimeField(_("stale since"), null=True, blank=True)
    stale_reason = models.TextField(_("what changed"), blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancel_reason = models.TextField(_("why cancelled"), blank=True)
    # The project's chain: position, the previous record's hash and this record's hash.
    sequence = models.PositiveIntegerField(_("position in the chain"), null=True, blank=True)
    previous_hash = models.CharField(_("previous record SHA-256"), max_length=64, blank=True)
    record_hash = models.CharField(_("record SHA-256"), max_length=64, blank=True)

    objects = _GuardedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")
        ordering = ["project", "-number"]
        base_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="signoff_number_per_project"
            ),
            models.UniqueConstraint(
                fields=["project", "sequence"], name="signoff_sequence_per_project"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=SignoffKind.UAT, cycle__isnull=False, phase__isnull=True)
                    | Q(
                        kind__in=[SignoffKind.GO_LIVE, SignoffKind.HYPERCARE_EXIT],
                        cycle__isnull=True,
                        phase__isnull=False,
                    )
                ),
                name="signoff_subject_matches_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["snapshot_hash"], name="signoff_snapshot_idx"),
            models.Index(fields=["record_hash"], name="signoff_record_idx"),
            models.Index(fields=["project", "status"], name="signoff_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.display_number} · {self.title}"

    def save(self, *args, **kwargs):
        # Once sealed into the chain, a record is never written again.
        if self.pk is not None and (
            type(self)._base_manager.filter(pk=self.pk).exclude(record_hash="").exists()
        ):
            raise SealedRecordError(f"{self.display_number} is sealed and cannot change.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("signoffs:detail", args=[self.project.code, self.number])

    def delete(self, *args, **kwargs):
        raise SealedRecordError("Sign-off records are never deleted.")

    @property
    def display_number(self) -> str:
        return f"SO-{self.number}"

    @property
    def is_sealed(self) -> bool:
        return bool(self.record_hash)


class Signatory(models.Model):
    """A person named to sign, in their position, with the meaning of their signature."""

    signoff = models.ForeignKey(
        SignOff, verbose_name=_("sign-off"), on_delete=models.PROTECT, related_name="signatories"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signatory"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    role_title = models.CharField(
        _("signs as"), max_length=120, help_text=_("For example Business owner, IT lead.")
    )
    meaning = models.CharField(
        _("meaning of the signature"),
        max_length=200,
        help_text=_("For example: Accepted as business owner."),
    )

    class Meta:
        verbose_name = _("signatory")
        verbose_name_plural = _("signatories")
        ordering = ["signoff", "position"]
        constraints = [
            models.UniqueConstraint(fields=["signoff", "user"], name="signatory_once_per_signoff"),
            models.UniqueConstraint(
                fields=["signoff", "position"], name="signatory_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signoff.display_number} · {self.role_title}"


class Signature(models.Model):
    """One signatory's decision, as they made it: never changed, never deleted."""

    signoff = models.ForeignKey(
        SignOff, verbose_name=_("sign-off"), on_delete=models.PROTECT, related_name="signatures"
    )
    # One-to-one: the database itself refuses a second signature by the same signatory.
    signatory = models.OneToOneField(
        Signatory, verbose_name=_("signatory"), on_delete=models.PROTECT, related_name="signature"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    printed_name = models.CharField(_("printed name"), max_length=200)
    role_title = models.CharField(_("signed as"), max_length=120)
    meaning = models.CharField(_("meaning of the signature"), max_length=200)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    signed_at = models.DateTimeField(_("signed at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    snapshot_hash = models.CharField(_("snapshot SHA-256 seen"), max_length=64)
    signature_hash = models.CharField(_("signature SHA-256"), max_length=64)

    objects = _GuardedQuerySet.as_manager()

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["signoff", "signed_at", "pk"]
        base_manager_name = "objects"

    def __str__(self) -> str:
        return f"{self.signoff.display_number} · {self.printed_name} · {self.decision}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise SealedRecordError("A signature is never changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SealedRecordError("A signature is never deleted.")


class SignoffLedger(models.Model):
    """The head of a project's sign-off chain: its length and the last record's hash.

    Without it, deleting the newest sealed sign-off would leave a chain that still checks.
    """

    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="signoff_ledger",
    )
    length = models.PositiveIntegerField(_("records"), default=0)
    head_hash = models.CharField(_("newest record SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("sign-off ledger")
        verbose_name_plural = _("sign-off ledgers")

    def __str__(self) -> str:
        return f"{self.project} · {self.length}"


def signoff_pdf_path(instance: "SignoffPdf", filename: str) -> str:
    return f"signoffs/{instance.signoff.project_id}/{uuid.uuid4().hex}.pdf"


class SignoffPdf(GeneratedPdf):
    """The PDF of a signed sign-off: built once by a worker, then kept with its SHA-256."""

    signoff = models.OneToOneField(
        SignOff, verbose_name=_("sign-off"), on_delete=models.PROTECT, related_name="pdf"
    )
    file = models.FileField(_("file"), upload_to=signoff_pdf_path, max_length=255, blank=True)

    class Meta:
        verbose_name = _("sign-off PDF")
        verbose_name_plural = _("sign-off PDFs")

    def __str__(self) -> str:
        return f"{self.signoff.display_number} · {self.status}"
