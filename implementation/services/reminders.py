"""The e-mail every member gets before a project's weekly review, sent exactly once.

A reminder row (project, member, ISO week of the meeting) moves
pending -> sending -> sent, or failed, or skipped (the member opted out or left, the
meeting began, the project is no longer active). The database's unique key on
(project, member, week) decides who creates it, so dispatching twice, from eight workers or
from two beat processes creates it once. The row is written first and queued after commit;
when the broker is down the row waits as pending and `reminders_sweep` (beat) queues it
again. A worker takes a row from pending to sending with one conditional UPDATE: exactly
one delivery of the task wins, any other finds nothing to do.

Crashes and duplicates: we choose at-most-once. Just before talking to the mail server
the row gets `sending_started_at`; from then on nothing sends it again automatically. A
worker that dies before that moment (while building the e-mail) leaves `claimed_at` only,
and the sweeper safely puts the row back to pending. A worker that dies after it (during
or after the SMTP conversation) leaves the outcome unknown: the sweeper marks the row
failed ("outcome unknown") instead of risking a second e-mail, and the team page shows it.
The Message-ID is derived from project, member and week, so even a resend by hand is
recognised as the same message by mail clients that deduplicate.

Temporary SMTP errors (4xx, disconnects, refused connections, timeouts) put the row back
to pending, attempts + 1, and the task retries with exponential backoff; permanent ones
(5xx, every recipient refused) mark it failed and count against the address. An address
"keeps failing" after three permanent failures in a row, or when every retry was used up;
the next success clears it. Project managers see both on the team page.
"""

import contextlib
import datetime
import logging
import random
import smtplib
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import BooleanField, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from implementation.agenda import next_review_at
from implementation.models import ReminderAddressFailure, ReminderStatus, ReviewReminder
from projects import policy
from projects.choices import ProjectStatus
from projects.models import Membership, Project, User
from projects.policy import Capability

logger = logging.getLogger(__name__)

DEFAULT_LEAD_HOURS = 24
SWEEP_AFTER = datetime.timedelta(minutes=5)
# Longer than the task's hard time limit: a row "sending" for this long has no live worker.
STALE_SENDING = datetime.timedelta(minutes=15)
FAILURES_UNTIL_FAILING = 3
MAX_RETRIES = 5
UNKNOWN_OUTCOME = (
    "The worker stopped while the e-mail was being handed to the mail server; whether it "
    "was delivered is unknown, so it is not sent again automatically."
)


class TemporaryMailError(Exception):
    """The mail server could not take the e-mail now; try again in `retry_in` seconds.
    `attempts` counts the tries so far, the first one included."""

    def __init__(self, message: str, *, retry_in: int, attempts: int = 1):
        super().__init__(message)
        self.retry_in = retry_in
        self.attempts = attempts


def lead_time() -> datetime.timedelta:
    return datetime.timedelta(
        hours=getattr(settings, "REVIEW_REMINDER_LEAD_HOURS", DEFAULT_LEAD_HOURS)
    )


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: 1, 2, 4 ... minutes, at most 1 h."""
    return min(60 * 2 ** max(attempts - 1, 0), 3600)


def iso_week(meeting_at: datetime.datetime) -> str:
    """The ISO week of the meeting in its own time zone, e.g. "2026-W48"."""
    year, week, _day = meeting_at.isocalendar()
    return f"{year}-W{week:02d}"


def message_id(*, project_pk: int, user_pk: int, week: str) -> str:
    """Stable, never random: the same reminder always carries the same Message-ID."""
    domain = getattr(settings, "REVIEW_REMINDER_MESSAGE_ID_DOMAIN", "") or (
        urlsplit(settings.SITE_URL).hostname or "rollout"
    )
    return f"<review-reminder.{project_pk}.{user_pk}.{week}@{domain}>"


# --- Who is due -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueProject:
    project: Project
    meeting_at: datetime.datetime  # in the project's time zone

    @property
    def week(self) -> str:
        return iso_week(self.meeting_at)


def reminders_due(now: datetime.datetime | None = None) -> list[DueProject]:
    """Active projects whose next review slot begins within the lead time (and has not begun)."""
    now = now or timezone.now()
    lead = lead_time()
    due = []
    for project in Project.objects.filter(status=ProjectStatus.ACTIVE).order_by("pk"):
        meeting_at = next_review_at(project, now)
        if meeting_at - now <= lead:
            due.append(DueProject(project=project, meeting_at=meeting_at))
    return due


def _recipients_of(projects: list[Project]) -> dict[int, list[User]]:
    """Members who get the e-mail, by project pk: active, with an address, not opted out; in
    user order so concurrent dispatchers insert in the same order and never deadlock. One
    query for every project."""
    recipients: dict[int, list[User]] = {}
    memberships = (
        Membership.objects.filter(
            project__in=[project.pk for project in projects],
            digest_opt_out=False,
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("project_id", "user_id")
    )
    for membership in memberships:
        recipients.setdefault(membership.project_id, []).append(membership.user)
    return recipients


# --- Dispatch ---------------------------------------------------------------------------------


def _retrying_sqlite_lock(write):
    """SQLite refuses a second writer at once instead of waiting in some cases (shared-cache
    in-memory databases, a reader upgrading to a writer): wait a moment and try again. The
    wait varies, so that writers refused together do not come back together."""
    for attempt in range(200):
        try:
            return write()
        except OperationalError as error:
            if connection.vendor != "sqlite" or "locked" not in str(error) or attempt == 199:
                raise
            time.sleep(random.uniform(0.005, 0.025))  # noqa: S311 - a pause, not a secret
    return None  # unreachable


def reminder_row_create(
    due: DueProject, user: User, now: datetime.datetime
) -> ReviewReminder | None:
    """Insert one reminder row; None when another dispatcher already did (the unique key)."""

    def insert():
        try:
            with transaction.atomic():
                row = _reminder_row(due, user, now)
                row.save(force_insert=True)
                return row
        except IntegrityError:
            return None

    return _retrying_sqlite_lock(insert)


# Rows written per transaction and statement: one commit for many rows rather than one for
# each (a commit waits for the disk).
ROWS_PER_COMMIT = 200
# Rounds a batch may lose to concurrent dispatchers before the error is let through.
CONFLICT_ROUNDS = 20


def _reminder_row(due: DueProject, user: User, now: datetime.datetime) -> ReviewReminder:
    return ReviewReminder(
        project=due.project,
        user=user,
        week=due.week,
        meeting_at=due.meeting_at,
        message_id=message_id(project_pk=due.project.pk, user_pk=user.pk, week=due.week),
        queued_at=now,
    )


def _create_rows(
    batch: list[tuple[DueProject, User]], now: datetime.datetime, *, queue: bool
) -> list[int]:
    """Insert the rows of a batch not created yet in one statement and one transaction;
    after commit, queue each project's new rows as one task (see `reminders_send`).

    A concurrent dispatcher may insert some of them between our read and our insert: the
    unique key refuses the whole statement, and the batch starts again without them.
    """

    def insert() -> list[int]:
        # Read before the transaction: it then begins with its write (on SQLite a reader
        # turning writer is refused when another one did the same).
        existing = set(
            ReviewReminder.objects.filter(
                project__in={due.project.pk for due, _user in batch},
                week__in={due.week for due, _user in batch},
            ).values_list("project_id", "user_id", "week")
        )
        with transaction.atomic():
            rows = ReviewReminder.objects.bulk_create(
                _reminder_row(due, user, now)
                for due, user in batch
                if (due.project.pk, user.pk, due.week) not in existing
            )
            created: dict[int, list[int]] = {}
            for row in rows:
                created.setdefault(row.project_id, []).append(row.pk)
            if queue:
                for pks in created.values():
                    _enqueue_batch_on_commit(pks)
        return [row.pk for row in rows]

    for _round in range(CONFLICT_ROUNDS - 1):
        try:
            return _retrying_sqlite_lock(insert)
        except IntegrityError:
            continue  # the next round reads the other dispatcher's rows and skips them
    return _retrying_sqlite_lock(insert)


def reminders_create(now: datetime.datetime | None = None, *, queue: bool = True) -> list[int]:
    """Create the rows of every due reminder not created yet; queue each after its commit.

    Rows go in project then user order (no deadlock between concurrent dispatchers), a few
    hundred per transaction; the recipients of every due project come in one query.
    """
    now = now or timezone.now()
    due_projects = reminders_due(now)
    recipients = _recipients_of([due.project for due in due_projects])
    created: list[int] = []
    batch: list[tuple[DueProject, User]] = []
    for due in due_projects:
        batch.extend((due, user) for user in recipients.get(due.project.pk, []))
        if len(batch) >= ROWS_PER_COMMIT:
            created += _create_rows(batch, now, queue=queue)
            batch = []
    if batch:
        created += _create_rows(batch, now, queue=queue)
    return created


def reminders_dispatch(now: datetime.datetime | None = None) -> int:
    """Create and queue the reminders now due; returns how many were new.

    Each project's new rows go to one task (`reminders_send`), which builds the project's
    agenda, status and team sections once for all its members' e-mails. When tasks run
    in-process, the sends happen inside this call.
    """
    from projects.shared_parts import shared_project_parts

    with shared_project_parts():
        return len(reminders_create(now))


def _enqueue_batch_on_commit(reminder_pks: list[int]) -> None:
    from config.queue import enqueue
    from implementation.tasks import review_reminders_send_task

    transaction.on_commit(lambda: enqueue(review_reminders_send_task, reminder_pks))


# --- Sending ----------------------------------------------------------------------------------


def build_reminder_email(
    *, project: Project, user: User, meeting_at: datetime.datetime, now: datetime.datetime
) -> EmailMultiAlternatives:
    """The member's e-mail (plain text and HTML) with the reminder's stable Message-ID."""
    from implementation.digest import build_digest, opt_out_url, render_digest_email

    content = render_digest_email(build_digest(project=project, user=user, now=now))
    week = iso_week(meeting_at)
    message = EmailMultiAlternatives(
        content.subject,
        content.text,
        to=[user.email],
        headers={
            "Message-ID": message_id(project_pk=project.pk, user_pk=user.pk, week=week),
            "Auto-Submitted": "auto-generated",
            # Mail clients show their own "unsubscribe" next to the sender (RFC 2369).
            "List-Unsubscribe": f"<{opt_out_url(project)}>",
        },
    )
    message.attach_alternative(content.html, "text/html")
    return message


def _is_temporary(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPConnectError):
        return True  # the server, not the address
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    # SMTPServerDisconnected, refused connections, timeouts (smtplib errors are OSErrors too).
    return isinstance(error, OSError)


def _update(reminder_pk: int, *, expected: str, claim=None, **fields) -> bool:
    """Change the row only if it still has the `expected` status (and, given `claim`, is
    still the claim this worker made at that moment); the row count decides."""
    rows = ReviewReminder.objects.filter(pk=reminder_pk, status=expected)
    if claim is not None:
        rows = rows.filter(claimed_at=claim)
    return bool(_retrying_sqlite_lock(lambda: rows.update(**fields)))


def _with_send_facts(reminders):
    """The reminder rows with what a send checks: whether the member is still on the team
    and opted out (None when no longer on the team), and whether the address has failures
    to clear after a success; one query instead of three."""
    membership = Membership.objects.filter(
        project=OuterRef("project"), user=OuterRef("user")
    ).order_by()
    return reminders.select_related("project", "user").annotate(
        member_opted_out=Subquery(
            membership.values("digest_opt_out")[:1], output_field=BooleanField()
        ),
        address_has_failures=Exists(
            ReminderAddressFailure.objects.filter(
                Q(consecutive_failures__gt=0) | Q(is_failing=True),
                user=OuterRef("user"),
                email=OuterRef("user__email"),
            )
        ),
    )


def _skip_reason(reminder: ReviewReminder, now: datetime.datetime) -> str:
    if reminder.project.status != ProjectStatus.ACTIVE:
        return "The project is not active."
    if reminder.meeting_at <= now:
        return "The meeting has begun."
    if reminder.member_opted_out is None:
        return "No longer on the team."
    if reminder.member_opted_out:
        return "Opted out."
    if not reminder.user.is_active or not reminder.user.email:
        return "No active account with an e-mail address."
    return ""


def reminder_send(*, reminder_pk: int) -> ReviewReminder | None:
    """Send one reminder unless another delivery already took it; see the module docstring.

    Raises TemporaryMailError (row back to pending) when the caller should retry later.
    """
    now = timezone.now()
    claimed = _update(
        reminder_pk,
        expected=ReminderStatus.PENDING,
        status=ReminderStatus.SENDING,
        claimed_at=now,
        sending_started_at=None,
        attempts=F("attempts") + 1,
    )
    reminder = _with_send_facts(ReviewReminder.objects.filter(pk=reminder_pk)).first()
    if not claimed or reminder is None:
        return reminder
    reason = _skip_reason(reminder, now)
    if reason:
        _update(
            reminder.pk,
            expected=ReminderStatus.SENDING,
            status=ReminderStatus.SKIPPED,
            last_error=reason,
        )
        reminder.refresh_from_db()
        return reminder
    try:
        message = build_reminder_email(
            project=reminder.project, user=reminder.user, meeting_at=reminder.meeting_at, now=now
        )
    except Exception as error:
        logger.exception("Building review reminder %s failed", reminder.pk)
        _update(
            reminder.pk,
            expected=ReminderStatus.SENDING,
            status=ReminderStatus.FAILED,
            last_error=f"The e-mail could not be built ({type(error).__name__}).",
        )
        reminder.refresh_from_db()
        return reminder
    # From here on the mail server may have the e-mail: never sent again automatically.
    handed_over = _update(
        reminder.pk, expected=ReminderStatus.SENDING, claim=now, sending_started_at=now
    )
    if not handed_over:
        # The sweeper took it back meanwhile (and another delivery may own it now).
        return ReviewReminder.objects.get(pk=reminder.pk)
    try:
        message.send()
    except Exception as error:
        if not isinstance(error, OSError):
            raise  # a bug, not the mail server: the row stays "sending" (outcome unknown)
        retry_in = _record_failure(reminder, error, now)
        if retry_in is not None:
            raise TemporaryMailError(
                _describe(error), retry_in=retry_in, attempts=reminder.attempts
            ) from error
        reminder.refresh_from_db()
        return reminder
    sent = {"status": ReminderStatus.SENT, "sent_at": timezone.now(), "last_error": ""}
    recorded = _update(reminder.pk, expected=ReminderStatus.SENDING, **sent)
    if reminder.address_has_failures:
        ReminderAddressFailure.objects.filter(user=reminder.user, email=reminder.user.email).update(
            consecutive_failures=0, is_failing=False
        )
    if not recorded:  # the sweeper gave up on the row meanwhile: show what it wrote
        reminder.refresh_from_db()
        return reminder
    # The row holds what this worker wrote since reading it: no need to read it again.
    for field, value in {**sent, "sending_started_at": now}.items():
        setattr(reminder, field, value)
    return reminder


# --- Sending a project's reminders together -----------------------------------------------


def _settle(reminder: ReviewReminder, status: str, reason: str) -> None:
    """A pending row that will not be sent: skipped or failed, with the reason."""
    if _update(reminder.pk, expected=ReminderStatus.PENDING, status=status, last_error=reason):
        reminder.status, reminder.last_error = status, reason


_moments = threading.Lock()
_last_moment = [datetime.datetime.min.replace(tzinfo=datetime.UTC)]


def _claim_moment() -> datetime.datetime:
    """Now, but never the same moment twice in this process: a batch's claim is known by it."""
    with _moments:
        moment = max(timezone.now(), _last_moment[0] + datetime.timedelta(microseconds=1))
        _last_moment[0] = moment
    return moment


def _claim_for_sending(reminders: list[ReviewReminder], now: datetime.datetime) -> set[int]:
    """Take the still pending rows to sending, handed over at once (the e-mails are built);
    returns the pks this call took, known by its claim moment `now`. The conditional update
    decides: on PostgreSQL a second delivery waits on the rows' locks and then finds them
    taken; on SQLite the transaction holds the database from that first write."""
    pks = [reminder.pk for reminder in reminders]

    def claim() -> set[int]:
        with transaction.atomic():
            ReviewReminder.objects.filter(pk__in=pks, status=ReminderStatus.PENDING).update(
                status=ReminderStatus.SENDING,
                claimed_at=now,
                sending_started_at=now,
                attempts=F("attempts") + 1,
            )
            return set(
                ReviewReminder.objects.filter(
                    pk__in=pks, status=ReminderStatus.SENDING, claimed_at=now
                ).values_list("pk", flat=True)
            )

    return _retrying_sqlite_lock(claim)


def reminders_send(*, reminder_pks: list[int]) -> list[ReviewReminder]:
    """Send several pending reminders of one project (a dispatch's batch) together.

    The same rules as `reminder_send`, with the work shared: the rows and their send facts
    come in one query, the project's agenda, status and team sections are built once for
    all the e-mails, the rows are claimed in one transaction, the e-mails go over one mail
    server connection and the sent rows are marked in one write. Every e-mail is built
    before the claim, so a claimed row is handed over at once: a worker that dies in
    between leaves it to the sweeper as "outcome unknown", never sent twice. A row the mail
    server refuses for now goes back to pending and continues alone (`reminder_send`'s
    task, after its back-off). Returns the rows as this call left them.
    """
    from django.core.mail import get_connection

    from config.queue import enqueue
    from implementation.tasks import review_reminder_send_task
    from projects.shared_parts import shared_project_parts

    now = _claim_moment()
    rows = _retrying_sqlite_lock(
        lambda: list(
            _with_send_facts(
                ReviewReminder.objects.filter(pk__in=reminder_pks, status=ReminderStatus.PENDING)
            ).order_by("project_id", "user_id")
        )
    )
    messages: dict[int, EmailMultiAlternatives] = {}
    with shared_project_parts():
        for reminder in rows:
            reason = _skip_reason(reminder, now)
            if reason:
                _settle(reminder, ReminderStatus.SKIPPED, reason)
                continue
            try:
                messages[reminder.pk] = _retrying_sqlite_lock(
                    lambda reminder=reminder: build_reminder_email(
                        project=reminder.project,
                        user=reminder.user,
                        meeting_at=reminder.meeting_at,
                        now=now,
                    )
                )
            except Exception as error:
                logger.exception("Building review reminder %s failed", reminder.pk)
                _settle(
                    reminder,
                    ReminderStatus.FAILED,
                    f"The e-mail could not be built ({type(error).__name__}).",
                )
    claimed = _claim_for_sending([r for r in rows if r.pk in messages], now)
    to_send = [reminder for reminder in rows if reminder.pk in claimed]
    for reminder in to_send:
        reminder.status, reminder.claimed_at, reminder.sending_started_at = (
            ReminderStatus.SENDING,
            now,
            now,
        )
        reminder.attempts += 1
    sent, refused = _send_all(get_connection(), to_send, messages)
    sent_at = timezone.now()

    def mark_sent() -> None:
        with transaction.atomic():
            _commit_without_waiting_for_disk()
            ReviewReminder.objects.filter(
                pk__in=[reminder.pk for reminder in sent],
                status=ReminderStatus.SENDING,
                claimed_at=now,
            ).update(status=ReminderStatus.SENT, sent_at=sent_at, last_error="")

    _retrying_sqlite_lock(mark_sent)
    for reminder in sent:
        reminder.status, reminder.sent_at, reminder.last_error = ReminderStatus.SENT, sent_at, ""
        if reminder.address_has_failures:
            ReminderAddressFailure.objects.filter(
                user=reminder.user, email=reminder.user.email
            ).update(consecutive_failures=0, is_failing=False)
    for reminder, error in refused:
        retry_in = _record_failure(reminder, error, now)
        if retry_in is not None:
            enqueue(review_reminder_send_task, reminder.pk, countdown=retry_in)
        reminder.refresh_from_db()
    return rows


def _commit_without_waiting_for_disk() -> None:
    """PostgreSQL: the current transaction's commit returns before its WAL reaches the disk.
    Only for "sent" marks: a server crash may lose the last of them, which leaves those rows
    "sending", and the sweeper reports them as outcome unknown; nothing is sent twice. The
    claim before sending keeps waiting for the disk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _send_all(
    mail_connection, reminders: list[ReviewReminder], messages: dict
) -> tuple[list, list]:
    """Hand the e-mails to the mail server over one connection: (sent rows, [(row, error)]).
    An error that is not the mail server's (a bug) stops here: its rows stay "sending"."""
    sent, refused = [], []
    try:
        mail_connection.open()
    except OSError as error:  # the server cannot be reached: every row waits for a retry
        return [], [(reminder, error) for reminder in reminders]
    try:
        for reminder in reminders:
            try:
                mail_connection.send_messages([messages[reminder.pk]])
            except OSError as error:
                refused.append((reminder, error))
            else:
                sent.append(reminder)
    finally:
        with contextlib.suppress(OSError):
            mail_connection.close()
    return sent, refused


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def _record_failure(reminder: ReviewReminder, error: Exception, now) -> int | None:
    """Write what the mail server's refusal means for the row: back to pending when it is
    temporary (returns the seconds until the next try), failed when it is permanent."""
    description = _describe(error)
    if _is_temporary(error):
        retry_in = retry_delay(reminder.attempts)
        _update(
            reminder.pk,
            expected=ReminderStatus.SENDING,
            status=ReminderStatus.PENDING,
            last_error=description,
            sending_started_at=None,
            queued_at=now + datetime.timedelta(seconds=retry_in),
        )
        return retry_in
    _update(
        reminder.pk,
        expected=ReminderStatus.SENDING,
        status=ReminderStatus.FAILED,
        last_error=description,
    )
    _count_address_failure(reminder.user, description, now)
    return None


def _count_address_failure(user: User, description: str, now, *, give_up: bool = False) -> None:
    def write():
        with transaction.atomic():
            failure, _created = ReminderAddressFailure.objects.select_for_update().get_or_create(
                user=user, email=user.email
            )
            failure.consecutive_failures += 1
            failure.is_failing = give_up or failure.consecutive_failures >= FAILURES_UNTIL_FAILING
            failure.last_error, failure.last_failed_at = description, now
            failure.save()

    try:
        _retrying_sqlite_lock(write)
    except IntegrityError:  # two first failures at once: the other one created the row
        _retrying_sqlite_lock(write)


def reminder_give_up(*, reminder_pk: int, error: str) -> ReviewReminder | None:
    """Every retry is used up: the reminder failed and its address keeps failing."""
    now = timezone.now()
    if not _update(
        reminder_pk,
        expected=ReminderStatus.PENDING,
        status=ReminderStatus.FAILED,
        last_error=error[:1000],
    ):
        return ReviewReminder.objects.filter(pk=reminder_pk).first()
    reminder = ReviewReminder.objects.select_related("user").get(pk=reminder_pk)
    _count_address_failure(reminder.user, error, now, give_up=True)
    return reminder


# --- Sweeping ---------------------------------------------------------------------------------


def reminders_sweep(now: datetime.datetime | None = None) -> int:
    """Queue again what the broker never got or a dead worker left; returns how many.

    Pending rows waiting longer than SWEEP_AFTER are queued again. Rows a dead worker
    claimed but never handed to the mail server go back to pending; rows it may have
    handed over are marked failed with "outcome unknown" (at most once, see above).
    """
    now = now or timezone.now()
    stale = now - STALE_SENDING
    ReviewReminder.objects.filter(
        status=ReminderStatus.SENDING, sending_started_at__lt=stale
    ).update(status=ReminderStatus.FAILED, last_error=UNKNOWN_OUTCOME)
    ReviewReminder.objects.filter(
        status=ReminderStatus.SENDING, sending_started_at__isnull=True, claimed_at__lt=stale
    ).update(status=ReminderStatus.PENDING, queued_at=None)
    waiting = ReviewReminder.objects.filter(status=ReminderStatus.PENDING).filter(
        Q(queued_at__lt=now - SWEEP_AFTER) | Q(queued_at__isnull=True)
    )
    from config.queue import enqueue
    from implementation.tasks import review_reminder_send_task

    queued = 0
    for pk in list(waiting.values_list("pk", flat=True)):
        if _update(pk, expected=ReminderStatus.PENDING, queued_at=now):
            queued += enqueue(review_reminder_send_task, pk)
    return queued


# --- Opting out, and what the project manager sees ------------------------------------------


def membership_digest_opt_out_set(*, actor: User, project: Project, opt_out: bool) -> Membership:
    """A member turns their own weekly review e-mail for this project off or on."""
    policy.ensure(actor, project, Capability.VIEW_PROJECT)
    membership = Membership.objects.filter(project=project, user=actor).first()
    if membership is None:  # a superuser looking at a project they are not on
        from projects.errors import ApplicationError

        raise ApplicationError("Only members of the team get the weekly review e-mail.")
    membership.digest_opt_out = opt_out
    membership.save(update_fields=["digest_opt_out", "updated_at"])
    return membership


@dataclass(frozen=True)
class ReminderOverview:
    opted_out: list[Membership]
    failing: list[ReminderAddressFailure]
    unknown_outcome: list[ReviewReminder]


def reminder_overview(*, user: User, project: Project) -> ReminderOverview | None:
    """For those who manage the team: who opted out and which addresses keep failing."""
    if not policy.can(user, project, Capability.MANAGE_TEAM):
        return None
    members = Membership.objects.filter(project=project)
    return ReminderOverview(
        opted_out=list(
            members.filter(digest_opt_out=True).select_related("user").order_by("user__username")
        ),
        failing=list(
            ReminderAddressFailure.objects.filter(
                is_failing=True, user__in=members.values("user"), email=F("user__email")
            )
            .select_related("user")
            .order_by("email")
        ),
        unknown_outcome=list(
            ReviewReminder.objects.filter(
                project=project, status=ReminderStatus.FAILED, last_error=UNKNOWN_OUTCOME
            )
            .select_related("user")
            .order_by("-meeting_at")[:20]
        ),
    )
