"""Writes for the configuration log.

The log is append-only: an entry is recorded once and never edited or deleted (the model
and its queryset refuse both). A mistake is corrected by a new entry that `supersedes` the
wrong one; the wrong entry stays in the log, marked as corrected. An entry is corrected at
most once, so corrections form a chain and the newest entry of a chain is the one to
correct next.

Project managers, consultants and IT record entries (Capability.EDIT_CONFIGURATION_LOG);
every member reads the log. Entries are numbered 1, 2, 3 ... per project, under a lock on
the project row, so two people recording at the same moment never share a number.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from implementation.models import ConfigurationChange, Phase
from projects import policy
from projects.models import Membership, Project, User
from projects.policy import Capability


def newest_correction(change: ConfigurationChange) -> ConfigurationChange:
    """The last entry of the correction chain that starts at `change` (itself if uncorrected)."""
    newest = change
    while True:
        following = ConfigurationChange.objects.filter(supersedes=newest).first()
        if following is None:
            return newest
        newest = following


def supersede_refusal(change: ConfigurationChange) -> str | None:
    """Why `change` cannot be corrected (it already was), or None when it can."""
    if not ConfigurationChange.objects.filter(supersedes=change).exists():
        return None
    corrected_by = ConfigurationChange.objects.get(supersedes=change)
    newest = newest_correction(corrected_by)
    return _(
        "%(entry)s has already been corrected by %(correction)s. "
        "Record a correction of the newest entry, %(newest)s, instead."
    ) % {
        "entry": change.display_number,
        "correction": corrected_by.display_number,
        "newest": newest.display_number,
    }


def _member_errors(project: Project, people: dict[str, User | None]) -> dict[str, str]:
    given = {field: user for field, user in people.items() if user is not None}
    member_pks = set(
        Membership.objects.filter(
            project=project, user_id__in=[user.pk for user in given.values()]
        ).values_list("user_id", flat=True)
    )
    return {
        field: _("Choose a member of this project's team.")
        for field, user in given.items()
        if user.pk not in member_pks
    }


def configuration_change_record(
    *,
    actor: User,
    project: Project,
    area: str,
    setting: str,
    new_value: str,
    reason: str,
    requested_by: User,
    environment: str,
    applied_at: datetime.datetime,
    old_value: str = "",
    reference: str = "",
    approved_by: User | None = None,
    phase: Phase | None = None,
    supersedes: ConfigurationChange | None = None,
    defect=None,
) -> ConfigurationChange:
    """Append an entry to the project's log with the next number; the actor is its recorder.

    Whoever requested or approved the change is on the team; the phase and the corrected
    entry belong to the same project, and an entry is corrected only once.
    """
    policy.ensure(actor, project, Capability.EDIT_CONFIGURATION_LOG)
    with transaction.atomic():
        # The lock serialises numbering: the next number is read and used while it is held.
        locked = Project.objects.select_for_update().get(pk=project.pk)
        errors: dict[str, list[str]] = {}
        for field, message in _member_errors(
            locked, {"requested_by": requested_by, "approved_by": approved_by}
        ).items():
            errors.setdefault(field, []).append(message)
        if applied_at is not None and timezone.is_naive(applied_at):
            errors.setdefault("applied_at", []).append(_("Give the time with its time zone."))
        if phase is not None and phase.project_id != locked.pk:
            errors.setdefault("phase", []).append(_("Choose a phase of this project."))
        if defect is not None and defect.project_id != locked.pk:
            errors.setdefault("defect", []).append(_("Choose a defect of this project."))
        if supersedes is not None:
            if supersedes.project_id != locked.pk:
                errors.setdefault("supersedes", []).append(
                    _("Only an entry of this project's log can be corrected here.")
                )
            else:
                refusal = supersede_refusal(supersedes)
                if refusal:
                    errors.setdefault("supersedes", []).append(refusal)
        last = ConfigurationChange.objects.filter(project=locked).aggregate(last=Max("number"))
        change = ConfigurationChange(
            project=locked,
            number=(last["last"] or 0) + 1,
            area=area.strip(),
            setting=setting.strip(),
            old_value=old_value,
            new_value=new_value,
            reason=reason,
            reference=reference.strip(),
            requested_by=requested_by,
            approved_by=approved_by,
            environment=environment,
            applied_at=applied_at,
            phase=phase,
            supersedes=supersedes,
            defect=defect,
            recorded_by=actor,
        )
        try:
            # Uniqueness holds by the lock (number) and the check above (supersedes), with the
            # database constraints behind both; the fields with an error already keep theirs.
            change.full_clean(
                exclude=list(errors), validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                change.save()
        except IntegrityError as error:  # another correction of the same entry came first
            refusal = supersede_refusal(supersedes) if supersedes is not None else None
            raise ValidationError(
                {"supersedes": [refusal]}
                if refusal
                else {"__all__": [_("The entry could not be recorded. Please try again.")]}
            ) from error
    change.project = project
    return change
