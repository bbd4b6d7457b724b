from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from implementation.choices import ActionItemStatus
from projects.models import validate_plausible_date


class ReviewMeeting(models.Model):
    """A weekly progress review of the project team: who came, what was said and decided."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="review_meetings",
    )
    held_on = models.DateField(_("date"), validators=[validate_plausible_date])
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendees"), related_name="+", blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("review meeting")
        verbose_name_plural = _("review meetings")
        ordering = ["project", "-held_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "held_on"], name="review_meeting_one_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} · {self.held_on.isoformat()}"

    def get_absolute_url(self) -> str:
        return reverse("implementation:meeting-detail", args=[self.project.code, self.pk])


class ActionItem(models.Model):
    """Something a person must do, raised in a review; open ones carry over to the next review."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="action_items",
    )
    raised_in = models.ForeignKey(
        ReviewMeeting,
        verbose_name=_("raised in"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
    )
    title = models.CharField(_("title"), max_length=250)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField(_("due date"), validators=[validate_plausible_date])
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ActionItemStatus.choices,
        default=ActionItemStatus.OPEN,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["project", "due_date", "pk"]
        indexes = [
            models.Index(fields=["project", "status", "due_date"], name="action_item_open_idx"),
            models.Index(fields=["owner", "status"], name="action_item_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.title
