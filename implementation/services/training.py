"""Writes for training and communication: the communication plan, the end-user roster,
training sessions and their attendance.

Training managers (project manager, consultants, key users: MANAGE_TRAINING) plan
communication activities (workshops, e-mails, chat groups, posters, videos, demos) for an
audience, keep the roster of end users per department (the people training must reach,
most of whom never log in here), plan sessions, invite end users and record who came.
Training coverage (implementation.readiness) counts, per department, the end users who
attended at least one session.
"""

import csv
import io

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from implementation.models import Attendance, CommunicationActivity, EndUser, TrainingSession
from implementation.services.golive_common import (
    add,
    clean_fields,
    member_errors,
    raise_if,
    reject_unknown,
)
from projects import policy
from projects.choices import Department
from projects.models import Project, User
from projects.policy import Capability

ACTIVITY_FIELDS = (
    "title",
    "kind",
    "audience_department",
    "audience_role",
    "planned_on",
    "owner",
    "status",
    "notes",
)
END_USER_FIELDS = ("name", "department", "email", "user")
SESSION_FIELDS = (
    "title",
    "module",
    "starts_at",
    "duration_minutes",
    "location",
    "trainer",
    "notes",
)
MAX_ROSTER_ROWS = 5000


# --- Communication plan --------------------------------------------------------------------


def _save_checked(instance, project: Project, people: dict, exclude: list[str]):
    errors = member_errors(project, **people)
    # The people are left out of clean_fields (they are checked against the team instead),
    # so a missing required one must be caught here, not by the database.
    for name in people:
        if getattr(instance, f"{name}_id") is None and not instance._meta.get_field(name).null:
            errors.setdefault(name, []).append(_("This field is required."))
    clean_fields(instance, exclude=exclude, errors=errors)
    raise_if(errors)
    instance.save()
    return instance


def activity_create(*, actor: User, project: Project, **fields) -> CommunicationActivity:
    reject_unknown(fields, ACTIVITY_FIELDS, "communication activity")
    policy.ensure(actor, project, Capability.MANAGE_TRAINING)
    activity = CommunicationActivity(project=project, created_by=actor, **fields)
    activity.title = (activity.title or "").strip()
    return _save_checked(
        activity, project, {"owner": fields.get("owner")}, ["project", "owner", "created_by"]
    )


def activity_update(
    *, actor: User, activity: CommunicationActivity, **changes
) -> CommunicationActivity:
    reject_unknown(changes, ACTIVITY_FIELDS, "communication activity")
    project = activity.project
    policy.ensure(actor, project, Capability.MANAGE_TRAINING)
    with transaction.atomic():
        locked = CommunicationActivity.objects.select_for_update().get(pk=activity.pk)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.title = (locked.title or "").strip()
        _save_checked(
            locked, project, {"owner": changes.get("owner")}, ["project", "owner", "created_by"]
        )
    locked.project = project
    return locked


# --- End users -----------------------------------------------------------------------------


def _duplicate_email() -> dict[str, list[str]]:
    return {"email": [_("An end user with this e-mail is already listed.")]}


def _check_end_user(project: Project, end_user: EndUser, exclude_pk=None) -> dict:
    errors = member_errors(project, user=end_user.user if end_user.user_id else None)
    end_user.name = (end_user.name or "").strip()
    end_user.email = (end_user.email or "").strip().lower()
    clean_fields(end_user, exclude=["project", "user"], errors=errors)
    if end_user.email and "email" not in errors:
        others = EndUser.objects.filter(project=project, email=end_user.email)
        if exclude_pk:
            others = others.exclude(pk=exclude_pk)
        if others.exists():
            errors.update(_duplicate_email())
    return errors


def end_user_create(*, actor: User, project: Project, **fields) -> EndUser:
    reject_unknown(fields, END_USER_FIELDS, "end user")
    policy.ensure(actor, project, Capability.MANAGE_TRAINING)
    end_user = EndUser(project=project, **fields)
    raise_if(_check_end_user(project, end_user))
    try:
        with transaction.atomic():
            end_user.save()
    except IntegrityError as error:
        raise ValidationError(_duplicate_email()) from error
    return end_user


def end_user_update(*, actor: User, end_user: EndUser, **changes) -> EndUser:
    reject_unknown(changes, END_USER_FIELDS, "end user")
    project = end_user.project
    policy.ensure(actor, project, Capability.MANAGE_TRAINING)
    with transaction.atomic():
        locked = EndUser.objects.select_for_update().get(pk=end_user.pk)
        for field, value in changes.items():
            setattr(locked, field, value)
        raise_if(_check_end_user(project, locked, exclude_pk=locked.pk))
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError as error:
            raise ValidationError(_duplicate_email()) from error
    locked.project = project
    return locked


def _department_of(text: str) -> str | None:
    """A department from its code or its label in either language ("sales", "Sales")."""
    wanted = text.strip().casefold()
    for value, label in Department.choices:
        if wanted in {value.casefold(), str(label).casefold()}:
            return value
    return None


def end_users_import(*, actor: User, project: Project, text: str) -> list[EndUser]:
    """Add end users from CSV text: name, department[, e-mail], one per line, an optional
    header. Every row is checked first; one bad row saves nothing and the error names the
    line."""
    policy.ensure(actor, project, Capability.MANAGE_TRAINING)
    # Keep each row's line in the text: errors name the line a person sees in their file,
    # header and blank lines included.
    # Spreadsheet programs often save CSV with a byte-order mark.
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as error:  # e.g. a field longer than the csv module accepts
        raise ValidationError(
            {"text": [_("Line %(line)d cannot be read as CSV.") % {"line": reader.line_num}]}
        ) from error
    if rows and rows[0][1] and rows[0][1][0].strip().casefold() in {"name", "tên"}:
        rows = rows[1:]
    if not rows:
        raise ValidationError({"text": [_("Give at least one end user: name, department.")]})
    if len(rows) > MAX_ROSTER_ROWS:
        raise ValidationError(
            {"text": [_("At most %(count)d end users at a time.") % {"count": MAX_ROSTER_ROWS}]}
        )
    existing = set(
        EndUser.objects.filter(project=project).exclude(email="").values_list("email", flat=True)
    )
    problems: list[str] = []
    end_users: list[EndUser] = []
    for line, row in rows:
        cells = [cell.strip() for cell in row] + ["", "", ""]
        name, department_text, email = cells[0], cells[1], cells[2].lower()
        department = _department_of(department_text)
        end_user = EndUser(project=project, name=name, department=department or "", email=email)
        errors: dict[str, list[str]] = {}
        clean_fields(end_user, exclude=["project", "user"], errors=errors)
        if department is None:
            errors["department"] = [
                _("%(value)s is not a department.") % {"value": department_text or "-"}
            ]
        if email and "email" not in errors:
            if email in existing:
                errors["email"] = [_("An end user with this e-mail is already listed.")]
            existing.add(email)
        for field, messages in errors.items():
            label = str(EndUser._meta.get_field(field).verbose_name)
            problems.extend(
                _("Line %(line)d, %(field)s: %(message)s")
                % {"line": line, "field": label, "message": message}
                for message in messages
            )
        end_users.append(end_user)
    if problems:
        raise ValidationError({"text": problems})
    with transaction.atomic():
        return EndUser.objects.bulk_create(end_users)


# --- Training sessions ---------------------------------------------------------------------


def session_create(*, actor: User, project: Project, **fields) -> TrainingSession:
    reject_unknown(fields, SESSION_FIELDS, "training session")
    policy.ensure(actor, project, Capability.MANAGE_TRAINING)
    session = TrainingSession(project=project, created_by=actor, **fields)
    session.title = (session.title or "").strip()
    errors = member_errors(project, trainer=fields.get("trainer"))
    clean_fields(session, exclude=["project", "trainer", "created_by"], errors=errors)
    if (
        session.starts_at is not None
        and "starts_at" not in errors
        and timezone.is_naive(session.starts_at)
    ):
        add(errors, "starts_at", _("Give the time with its time zone."))
    raise_if(errors)
    session.save()
    return session


def session_update(*, actor: User, session: TrainingSession, **changes) -> TrainingSession:
    reject_unknown(changes, SESSION_FIELDS, "training session")
    project = session.project
    policy.ensure(actor, project, Capability.MANAGE_TRAINING)
    with transaction.atomic():
        locked = TrainingSession.objects.select_for_update().get(pk=session.pk)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.title = (locked.title or "").strip()
        errors = member_errors(project, trainer=changes.get("trainer"))
        clean_fields(locked, exclude=["project", "trainer", "created_by"], errors=errors)
        if "starts_at" not in errors and timezone.is_naive(locked.starts_at):
            add(errors, "starts_at", _("Give the time with its time zone."))
        elif (
            "starts_at" not in errors
            and locked.starts_at > timezone.now()
            and locked.attendances.filter(attended__isnull=False).exists()
        ):
            # Attendance counts towards training coverage: a session that has not happened
            # yet cannot have been attended.
            add(
                errors,
                "starts_at",
                _("Attendance is recorded for this session: it cannot move into the future."),
            )
        raise_if(errors)
        locked.save()
    locked.project = project
    return locked


def session_invite(*, actor: User, session: TrainingSession, end_users) -> int:
    """Invite end users of the project to a session; those already invited stay as they are.
    Returns how many were newly invited."""
    project = session.project
    policy.ensure(actor, project, Capability.MANAGE_TRAINING)
    end_users = list(end_users)
    if any(end_user.project_id != project.pk for end_user in end_users):
        raise ValidationError({"end_users": [_("Choose end users of this project.")]})
    with transaction.atomic():
        invited = set(
            Attendance.objects.filter(session=session).values_list("end_user_id", flat=True)
        )
        new = [
            Attendance(session=session, end_user=end_user)
            for end_user in {e.pk: e for e in end_users}.values()
            if end_user.pk not in invited
        ]
        Attendance.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def attendance_record(
    *, actor: User, session: TrainingSession, attended: dict[int, bool | None]
) -> int:
    """Record who came: {end user pk: True (came), False (did not), None (not known yet)}.
    End users not yet invited are added to the session. Returns the number of rows written."""
    project = session.project
    policy.ensure(actor, project, Capability.MANAGE_TRAINING)
    if session.starts_at > timezone.now() and any(v is not None for v in attended.values()):
        raise ValidationError(
            {"attended": [_("Attendance is recorded once the session has started.")]}
        )
    known = set(
        EndUser.objects.filter(project=project, pk__in=list(attended)).values_list("pk", flat=True)
    )
    if known != set(attended):
        raise ValidationError({"attended": [_("Choose end users of this project.")]})
    with transaction.atomic():
        rows = {
            row.end_user_id: row
            for row in Attendance.objects.select_for_update().filter(
                session=session, end_user_id__in=list(attended)
            )
        }
        new, changed = [], []
        for pk, value in attended.items():
            row = rows.get(pk)
            if row is None:
                new.append(Attendance(session=session, end_user_id=pk, attended=value))
            elif row.attended != value:
                row.attended = value
                changed.append(row)
        Attendance.objects.bulk_create(new)
        # bulk_update skips auto_now: set the time by hand.
        now = timezone.now()
        for row in changed:
            row.recorded_at = now
        Attendance.objects.bulk_update(changed, ["attended", "recorded_at"])
    return len(new) + len(changed)


def attendance_remove(*, actor: User, session: TrainingSession, end_user: EndUser) -> None:
    """Take an end user off a session's list before anything is recorded for them."""
    policy.ensure(actor, session.project, Capability.MANAGE_TRAINING)
    deleted, _count = Attendance.objects.filter(
        session=session, end_user=end_user, attended__isnull=True
    ).delete()
    if not deleted:
        raise ValidationError(
            {"end_user": [_("Only someone invited whose attendance is not recorded is removed.")]}
        )
