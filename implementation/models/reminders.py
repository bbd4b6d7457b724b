"""Weekly review reminders: one row per project, member and ISO week, and failing addresses."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class ReviewReminder(models.Model):
    """The e-mail a member gets before a weekly review; the unique key makes it exactly one."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="review_reminders",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="review_reminders",
    )
    week = models.CharField(_("ISO week of the meeting"), max_length=8)  # "2026-W48"
    meeting_at = models.DateTimeField(_("meeting starts at"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    message_id = models.CharField(_("Message-ID"), max_length=200)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    # Claimed by a worker; then, just before the SMTP conversation, handed to the mail server.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sending_started_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("review reminder")
        verbose_name_plural = _("review reminders")
        ordering = ["-meeting_at", "project", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user", "week"], name="review_reminder_once_per_week"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "queued_at"], name="review_reminder_sweep_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} · {self.user_id} · {self.week} · {self.status}"


class ReminderAddressFailure(models.Model):
    """How often in a row mail to one member's address failed; reset by the next success."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="reminder_address_failures",
    )
    email = models.EmailField(_("address"))
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    is_failing = models.BooleanField(
        _("keeps failing"),
        default=False,
        help_text=_("Three permanent failures in a row, or every retry used up."),
    )
    last_error = models.TextField(_("last error"), blank=True)
    last_failed_at = models.DateTimeField(_("last failed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("failing reminder address")
        verbose_name_plural = _("failing reminder addresses")
        constraints = [
            models.UniqueConstraint(fields=["user", "email"], name="reminder_failure_per_address"),
        ]

    def __str__(self) -> str:
        return f"{self.email} · {self.consecutive_failures}"
