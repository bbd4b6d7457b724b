"""Writes for sign-offs: preparing, requesting, signing, cancelling, and the project's chain.

A sign-off moves draft -> requested -> signed, or rejected; it is cancelled from draft or
requested (uat.choices.SIGNOFF_TRANSITIONS). Project managers and consultants prepare and
request them (MANAGE_SIGNOFFS); requesting while exit criteria fail needs the project
manager's override with a reason (OVERRIDE_SIGNOFF), which every signatory sees.

Requesting freezes a snapshot (uat.snapshots) as canonical JSON with its SHA-256. Each
named signatory, and nobody else, approves or rejects once, after re-entering their
password, in order or in parallel as the sign-off says. The signature keeps the name, role,
meaning, time, IP address and the snapshot hash the signatory saw, and its own hash. One
rejection ends the round; a new round is a new sign-off with a new snapshot. If the subject
changes while the request is pending, the request is stale and nobody can sign it.

A concluded sign-off (signed, rejected, or cancelled after its request) is sealed: it takes
the next position in the project's chain, stores the previous record's hash and its own
record hash, and is never written again. The ledger keeps the chain's length and head, so a
deleted or altered record shows in `chain_verify`.
"""

import hashlib
import logging
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from projects import documents, policy
from projects.choices import PdfStatus
from projects.errors import ApplicationError
from projects.models import Membership, Project
from projects.policy import Capability
from uat import snapshots
from uat.choices import (
    SIGNOFF_TRANSITIONS,
    Decision,
    SigningOrder,
    SignoffKind,
    SignoffStatus,
)
from uat.models import Signatory, Signature, SignOff, SignoffLedger, SignoffPdf, TestCycle

logger = logging.getLogger(__name__)

# --- Preparing -----------------------------------------------------------------------------


def _default_title(kind: str, cycle: TestCycle | None, round_: int) -> str:
    if kind == SignoffKind.UAT:
        title = _("UAT sign-off: %(cycle)s") % {"cycle": cycle.name}
    else:
        title = str(SignoffKind(kind).label)
    if round_ > 1:
        title += " " + _("(round %(round)s)") % {"round": round_}
    return title


def _signatory_errors(project: Project, rows: list[dict]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    users = [row.get("user") for row in rows]
    if not rows:
        errors["signatories"] = [_("Name at least one signatory.")]
        return errors
    pks = [user.pk for user in users if user is not None]
    roles = dict(
        Membership.objects.filter(project=project, user_id__in=pks).values_list("user_id", "role")
    )
    seen = set()
    for row in rows:
        user = row.get("user")
        if user is None:
            errors.setdefault("signatories", []).append(_("Choose a person for each signatory."))
            continue
        role = roles.get(user.pk)
        if role is None:
            errors.setdefault("signatories", []).append(
                _("%(name)s is not on this project's team.") % {"name": user.display_name}
            )
        elif Capability.SIGN not in policy.ROLE_CAPABILITIES[role]:
            errors.setdefault("signatories", []).append(
                _("%(name)s's role on this project cannot sign.") % {"name": user.display_name}
            )
        if user.pk in seen:
            errors.setdefault("signatories", []).append(
                _("%(name)s is named twice.") % {"name": user.display_name}
            )
        seen.add(user.pk)
        if not (row.get("role_title") or "").strip():
            errors.setdefault("signatories", []).append(
                _("Say in what role %(name)s signs.") % {"name": user.display_name}
            )
    return errors


def default_meaning(role_title: str) -> str:
    return _("Accepted as %(role)s") % {"role": role_title.strip().lower()}


def signoff_create(
    *,
    actor,
    project: Project,
    kind: str,
    signatories: list[dict],
    signing_order: str = SigningOrder.PARALLEL,
    cycle: TestCycle | None = None,
    title: str = "",
    previous_round: SignOff | None = None,
) -> SignOff:
    """Prepare a draft sign-off of a cycle (UAT) or of the go-live phase, naming its signatories.

    `signatories` is a list of {"user", "role_title", "meaning"} in signing order.
    """
    policy.ensure(actor, project, Capability.MANAGE_SIGNOFFS)
    errors: dict[str, list[str]] = {}
    phase = None
    if kind not in SignoffKind.values:
        errors["kind"] = [_("Choose what is being signed off.")]
    elif kind == SignoffKind.UAT:
        if cycle is None or cycle.project_id != project.pk:
            errors["cycle"] = [_("Choose a test cycle of this project.")]
    else:
        from implementation.choices import PhaseKind

        # Go-live readiness signs the go-live phase; the hypercare exit, the hypercare phase.
        phase_kind = PhaseKind.GO_LIVE if kind == SignoffKind.GO_LIVE else PhaseKind.HYPERCARE
        phase = project.phases.filter(kind=phase_kind).first()
        cycle = None
        if phase is None:
            errors["kind"] = [
                _("This project has no go-live phase.")
                if kind == SignoffKind.GO_LIVE
                else _("This project has no hypercare phase.")
            ]
    if signing_order not in SigningOrder.values:
        errors["signing_order"] = [_("Choose in order or in parallel.")]
    errors |= _signatory_errors(project, signatories)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        type(project).objects.select_for_update().filter(pk=project.pk).first()
        last = SignOff.objects.filter(project=project).aggregate(last=Max("number"))["last"] or 0
        round_ = previous_round.round + 1 if previous_round else 1
        signoff = SignOff(
            project=project,
            number=last + 1,
            kind=kind,
            cycle=cycle,
            phase=phase,
            round=round_,
            previous_round=previous_round,
            title=title.strip() or _default_title(kind, cycle, round_),
            signing_order=signing_order,
            created_by=actor,
        )
        signoff.full_clean(exclude=["number"])
        signoff.save()
        for position, row in enumerate(signatories, start=1):
            role_title = row["role_title"].strip()
            Signatory.objects.create(
                signoff=signoff,
                position=position,
                user=row["user"],
                role_title=role_title,
                meaning=(row.get("meaning") or "").strip() or default_meaning(role_title),
            )
    return signoff


def signoff_update_draft(
    *, actor, signoff: SignOff, signatories: list[dict], signing_order: str, title: str = ""
) -> SignOff:
    """Rename a draft, change its signing order or its signatories (replaced as a whole)."""
    project = signoff.project
    policy.ensure(actor, project, Capability.MANAGE_SIGNOFFS)
    errors = _signatory_errors(project, signatories)
    if signing_order not in SigningOrder.values:
        errors["signing_order"] = [_("Choose in order or in parallel.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock(signoff)
        if locked.status != SignoffStatus.DRAFT:
            raise ApplicationError(_("Only a draft sign-off can be changed."))
        locked.signing_order = signing_order
        if title.strip():
            locked.title = title.strip()
        locked.full_clean(exclude=["number"])
        locked.save(update_fields=["signing_order", "title"])
        # A draft's signatories have signed nothing yet: replacing them loses no history.
        Signatory.objects.filter(signoff=locked).delete()
        for position, row in enumerate(signatories, start=1):
            role_title = row["role_title"].strip()
            Signatory.objects.create(
                signoff=locked,
                position=position,
                user=row["user"],
                role_title=role_title,
                meaning=(row.get("meaning") or "").strip() or default_meaning(role_title),
            )
    return locked


def _lock(signoff: SignOff) -> SignOff:
    locked = SignOff.objects.select_for_update().get(pk=signoff.pk)
    locked.project = signoff.project  # keep the caller's instance and its cached role
    return locked


def _ensure_move(signoff: SignOff, target: str) -> None:
    if target not in SIGNOFF_TRANSITIONS[signoff.status]:
        raise ApplicationError(
            _("A sign-off that is %(source)s cannot become %(target)s.")
            % {
                "source": SignoffStatus(signoff.status).label.lower(),
                "target": SignoffStatus(target).label.lower(),
            }
        )


# --- Requesting ----------------------------------------------------------------------------


def signoff_request(*, actor, signoff: SignOff, override_reason: str = "") -> SignOff:
    """Freeze the snapshot and ask the signatories to sign.

    Refused while an exit criterion fails, unless the project manager overrides with a reason;
    the failing criteria are then stored with the request and shown to every signatory.
    """
    project = signoff.project
    policy.ensure(actor, project, Capability.MANAGE_SIGNOFFS)
    override_reason = override_reason.strip()
    with transaction.atomic():
        locked = _lock(signoff)
        _ensure_move(locked, SignoffStatus.REQUESTED)
        named = list(locked.signatories.select_related("user").order_by("position"))
        if not named:
            raise ApplicationError(_("Name at least one signatory before requesting."))
        # The team may have changed since the draft: each signatory must still be able to sign.
        errors = _signatory_errors(
            project, [{"user": s.user, "role_title": s.role_title} for s in named]
        )
        if errors:
            raise ValidationError(errors)
        content = snapshots.build_content(locked)
        failing = snapshots.failing_criteria(content)
        if failing and not override_reason:
            raise ApplicationError(
                _("Exit criteria not met: %(criteria)s. Fix them, or override with a reason.")
                % {"criteria": "; ".join(snapshots.criterion_label(key) for key in failing)}
            )
        if override_reason and not failing:
            raise ValidationError(
                {"override_reason": _("Every exit criterion is met: there is nothing to override.")}
            )
        if failing:
            policy.ensure(actor, project, Capability.OVERRIDE_SIGNOFF)
        text, digest = snapshots.build_snapshot(locked, content=content)
        locked.status = SignoffStatus.REQUESTED
        locked.requested_by = actor
        locked.requested_at = timezone.now()
        locked.snapshot_json, locked.snapshot_hash = text, digest
        locked.override_criteria = failing
        locked.override_reason = override_reason if failing else ""
        locked.save(
            update_fields=[
                "status",
                "requested_by",
                "requested_at",
                "snapshot_json",
                "snapshot_hash",
                "override_criteria",
                "override_reason",
            ]
        )
        _notify(locked, "requested", [s.user_id for s in awaiting(locked)])
    return locked


def awaiting(signoff: SignOff) -> list[Signatory]:
    """The signatories who can sign now: everyone unsigned, or the next one in order."""
    if signoff.status != SignoffStatus.REQUESTED:
        return []
    signed = set(Signature.objects.filter(signoff=signoff).values_list("signatory_id", flat=True))
    unsigned = [
        s
        for s in signoff.signatories.select_related("user").order_by("position")
        if s.pk not in signed
    ]
    if signoff.signing_order == SigningOrder.SEQUENTIAL:
        return unsigned[:1]
    return unsigned


# --- Freshness -----------------------------------------------------------------------------


@dataclass
class Freshness:
    """How the subject stands against the frozen snapshot: the changes, if any."""

    changes: list[snapshots.Change] = field(default_factory=list)

    @property
    def is_fresh(self) -> bool:
        return not self.changes


def frozen_content(signoff: SignOff) -> dict:
    import json

    return json.loads(signoff.snapshot_json)["content"] if signoff.snapshot_json else {}


def signoff_freshness(signoff: SignOff) -> Freshness:
    """What changed in scope since the snapshot was frozen (nothing for a draft)."""
    if not signoff.snapshot_json:
        return Freshness()
    return Freshness(snapshots.diff(frozen_content(signoff), snapshots.build_content(signoff)))


def signoff_mark_stale_if_changed(signoff: SignOff) -> Freshness:
    """Check a pending request against its subject; a change makes it stale for good."""
    freshness = signoff_freshness(signoff)
    if signoff.status == SignoffStatus.REQUESTED and not freshness.is_fresh:
        _mark_stale(signoff, freshness.changes)
    return freshness


def _mark_stale(signoff: SignOff, changes: list[snapshots.Change]) -> None:
    """Record, once, that a pending request's subject changed and what changed."""
    with transaction.atomic():
        locked = _lock(signoff)
        if locked.status == SignoffStatus.REQUESTED and locked.stale_at is None:
            locked.stale_at = timezone.now()
            locked.stale_reason = "\n".join(str(c.text) for c in changes[:50])
            locked.save(update_fields=["stale_at", "stale_reason"])
        signoff.stale_at, signoff.stale_reason = locked.stale_at, locked.stale_reason


# --- Signing -------------------------------------------------------------------------------


def signature_payload(signature: Signature) -> dict:
    signoff = signature.signoff
    return {
        "project": signoff.project.code,
        "signoff": signoff.number,
        "position": signature.signatory.position,
        "user": signature.user.get_username(),
        "printed_name": signature.printed_name,
        "role_title": signature.role_title,
        "meaning": signature.meaning,
        "decision": signature.decision,
        "comment": signature.comment,
        "signed_at": signature.signed_at,
        "ip_address": signature.ip_address,
        "snapshot_hash": signature.snapshot_hash,
    }


def signature_hash(signature: Signature) -> str:
    return snapshots.sha256_text(snapshots.canonical_json(signature_payload(signature)))


def may_sign(actor, signoff: SignOff) -> bool:
    """Whether the actor is the (or a) signatory whose signature is awaited now."""
    return (
        signoff.status == SignoffStatus.REQUESTED
        and signoff.stale_at is None
        and policy.can(actor, signoff.project, Capability.SIGN)
        and any(s.user_id == actor.pk for s in awaiting(signoff))
    )


def signoff_sign(
    *,
    actor,
    signoff: SignOff,
    decision: str,
    password: str,
    comment: str = "",
    ip_address: str | None = None,
) -> Signature:
    """Approve or reject as one of the named signatories, after re-entering the password."""
    project = signoff.project
    if not policy.can_see(actor, project):
        raise PermissionDenied(_("You are not on this project's team."))
    if decision not in Decision.values:
        raise ValidationError({"decision": _("Choose approve or reject.")})
    comment = comment.strip()
    if decision == Decision.REJECTED and not comment:
        raise ValidationError({"comment": _("Say why you reject.")})
    # Re-authentication at the moment of signing: the session alone is not a signature.
    if not password or not actor.check_password(password):
        raise ValidationError({"password": _("That is not your password.")})
    ip_address = _clean_ip(ip_address)
    changes: list[snapshots.Change] = []
    with transaction.atomic():
        locked = _lock(signoff)
        if locked.status != SignoffStatus.REQUESTED:
            raise ApplicationError(
                _("This sign-off is %(status)s; there is nothing to sign.")
                % {"status": SignoffStatus(locked.status).label.lower()}
            )
        mine = next((s for s in locked.signatories.all() if s.user_id == actor.pk), None)
        if mine is None or not policy.can(actor, project, Capability.SIGN):
            raise PermissionDenied(_("Only the named signatories sign this sign-off."))
        if Signature.objects.filter(signatory=mine).exists():
            raise ApplicationError(_("You have already signed this sign-off."))
        if mine not in awaiting(locked):
            raise ApplicationError(_("The signatories sign in order, and it is not your turn yet."))
        # Signing always re-checks the subject, against the row as it is now rather than
        # the caller's copy (which may predate the request).
        if locked.stale_at is None:
            changes = signoff_freshness(locked).changes
            if not changes:
                return _record_signature(locked, mine, actor, decision, comment, ip_address)
    # Recorded outside the signing transaction, so that the stale mark survives the refusal.
    if changes:
        _mark_stale(signoff, changes)
    raise ApplicationError(
        _("Something in scope changed since the request, so it must be requested again.")
    )


def _clean_ip(ip_address: str | None) -> str | None:
    """The address as the database stores it (IPv6 compressed, lower case), so that the
    signature's hash still matches when the row is read back. Something that is not an
    address (a misconfigured proxy) is recorded as unknown rather than refusing to sign."""
    if not ip_address:
        return None
    try:
        validate_ipv46_address(ip_address.strip())
    except ValidationError:
        logger.warning("Signing from an address that is not an IP address: %r", ip_address)
        return None
    return Signature._meta.get_field("ip_address").to_python(ip_address.strip())


def _record_signature(locked: SignOff, mine: Signatory, actor, decision, comment, ip_address):
    """Write the signature, then conclude the round or tell the next signatory."""
    signature = Signature(
        signoff=locked,
        signatory=mine,
        user=actor,
        printed_name=actor.display_name,
        role_title=mine.role_title,
        meaning=mine.meaning,
        decision=decision,
        comment=comment,
        signed_at=timezone.now(),
        ip_address=ip_address or None,
        snapshot_hash=locked.snapshot_hash,
    )
    signature.signature_hash = signature_hash(signature)
    signature.save()
    if decision == Decision.REJECTED:
        _conclude(locked, SignoffStatus.REJECTED)
        _notify(locked, "rejected", [locked.requested_by_id])
    elif not awaiting(locked):
        _conclude(locked, SignoffStatus.SIGNED)
        pdf = SignoffPdf.objects.create(signoff=locked, queued_at=timezone.now())
        _queue_pdf(pdf)
        _notify(locked, "signed", [locked.requested_by_id])
    elif locked.signing_order == SigningOrder.SEQUENTIAL:
        # In order, the next signatory's turn starts now; in parallel, everyone was asked
        # at the request and is not asked again each time someone else signs.
        _notify(locked, "requested", [s.user_id for s in awaiting(locked)])
    return signature


# --- Cancelling and new rounds -------------------------------------------------------------


def signoff_cancel(*, actor, signoff: SignOff, reason: str = "") -> SignOff:
    """Withdraw a draft or a pending request; a request's cancellation needs a reason."""
    policy.ensure(actor, signoff.project, Capability.MANAGE_SIGNOFFS)
    reason = reason.strip()
    with transaction.atomic():
        locked = _lock(signoff)
        _ensure_move(locked, SignoffStatus.CANCELLED)
        if locked.status == SignoffStatus.REQUESTED and not reason:
            raise ValidationError({"reason": _("Say why the request is withdrawn.")})
        was_requested = locked.status == SignoffStatus.REQUESTED
        locked.cancelled_by, locked.cancel_reason = actor, reason
        if was_requested:
            _conclude(locked, SignoffStatus.CANCELLED, extra=["cancelled_by", "cancel_reason"])
        else:
            locked.status = SignoffStatus.CANCELLED
            locked.concluded_at = timezone.now()
            locked.save(update_fields=["status", "concluded_at", "cancelled_by", "cancel_reason"])
    return locked


def signoff_new_round(*, actor, signoff: SignOff) -> SignOff:
    """Start the next round as a new draft with the same signatories.

    From a rejected or cancelled sign-off, or from a stale request, which is cancelled first.
    """
    policy.ensure(actor, signoff.project, Capability.MANAGE_SIGNOFFS)
    if signoff.status == SignoffStatus.REQUESTED and signoff.stale_at is None:
        # A change nobody has looked at yet still makes the request stale.
        signoff_mark_stale_if_changed(signoff)
    with transaction.atomic():
        locked = _lock(signoff)
        if locked.status == SignoffStatus.REQUESTED and locked.stale_at is not None:
            signoff_cancel(
                actor=actor,
                signoff=locked,
                reason=_("Scope changed since the request:") + "\n" + locked.stale_reason,
            )
            locked = _lock(signoff)
        if locked.status not in {SignoffStatus.REJECTED, SignoffStatus.CANCELLED}:
            raise ApplicationError(
                _("A new round starts from a rejected, cancelled or stale sign-off.")
            )
        if SignOff.objects.filter(previous_round=locked).exists():
            raise ApplicationError(_("The next round of this sign-off has already started."))
        rows = [
            {"user": s.user, "role_title": s.role_title, "meaning": s.meaning}
            for s in locked.signatories.select_related("user").order_by("position")
        ]
        return signoff_create(
            actor=actor,
            project=signoff.project,
            kind=locked.kind,
            cycle=locked.cycle,
            signatories=rows,
            signing_order=locked.signing_order,
            previous_round=locked,
        )


# --- The chain -----------------------------------------------------------------------------


def record_payload(signoff: SignOff, signatures: list[Signature] | None = None) -> dict:
    if signatures is None:
        signatures = list(signoff.signatures.order_by("signed_at", "pk"))
    return {
        "project": signoff.project.code,
        "number": signoff.number,
        "sequence": signoff.sequence,
        "kind": signoff.kind,
        "cycle": signoff.cycle_id,
        "phase": signoff.phase_id,
        "round": signoff.round,
        "title": signoff.title,
        "signing_order": signoff.signing_order,
        "status": signoff.status,
        "requested_by": signoff.requested_by_id,
        "requested_at": signoff.requested_at,
        "snapshot_hash": signoff.snapshot_hash,
        "override_criteria": signoff.override_criteria,
        "override_reason": signoff.override_reason,
        "concluded_at": signoff.concluded_at,
        "cancel_reason": signoff.cancel_reason,
        "signatories": [
            [s.position, s.user_id, s.role_title, s.meaning]
            for s in sorted(signoff.signatories.all(), key=lambda s: s.position)
        ],
        "signatures": [s.signature_hash for s in signatures],
        "previous_hash": signoff.previous_hash,
    }


def record_hash(signoff: SignOff, signatures: list[Signature] | None = None) -> str:
    return snapshots.sha256_text(snapshots.canonical_json(record_payload(signoff, signatures)))


def _conclude(signoff: SignOff, status: str, extra: list[str] | None = None) -> None:
    """Move to a final status and seal the record into the project's chain (in a transaction)."""
    _ensure_move(signoff, status)
    # The project row lock makes the ledger's first creation and every append one at a time.
    Project.objects.select_for_update().filter(pk=signoff.project_id).first()
    ledger, _created = SignoffLedger.objects.get_or_create(project_id=signoff.project_id)
    ledger = SignoffLedger.objects.select_for_update().get(pk=ledger.pk)
    signoff.status = status
    signoff.concluded_at = timezone.now()
    signoff.sequence = ledger.length + 1
    signoff.previous_hash = ledger.head_hash
    signoff.record_hash = record_hash(signoff)
    signoff.save(
        update_fields=[
            "status",
            "concluded_at",
            "sequence",
            "previous_hash",
            "record_hash",
            *(extra or []),
        ]
    )
    ledger.length, ledger.head_hash = signoff.sequence, signoff.record_hash
    ledger.save(update_fields=["length", "head_hash"])


@dataclass
class ChainReport:
    """The result of checking a project's sign-off chain: its length and any breaks found."""

    length: int
    problems: list[str]

    @property
    def is_intact(self) -> bool:
        return not self.problems


def chain_verify(project: Project) -> ChainReport:
    """Recompute every hash of the project's sign-offs and follow the chain to its head."""
    problems: list[str] = []
    records = list(
        SignOff.objects.filter(project=project)
        .exclude(status=SignoffStatus.DRAFT)
        .select_related("project")
        .prefetch_related("signatories", "signatures__signatory", "signatures__user")
        .order_by("sequence", "number")
    )
    sealed = [r for r in records if r.sequence is not None]
    previous, position = "", 0
    for record in sealed:
        name = record.display_number
        # Compared with the record before (not with a count), so one gap is reported once.
        if record.sequence != position + 1:
            problems.append(
                _("The chain skips from position %(a)s to %(b)s: a record is missing.")
                % {"a": position, "b": record.sequence}
            )
        position = record.sequence
        if record.previous_hash != previous:
            problems.append(_("%(name)s does not follow the record before it.") % {"name": name})
        signatures = sorted(record.signatures.all(), key=lambda s: (s.signed_at, s.pk))
        if record.record_hash != record_hash(record, signatures):
            problems.append(_("%(name)s was changed after it was sealed.") % {"name": name})
        previous = record.record_hash
    for record in records:
        name = record.display_number
        if record.snapshot_json and snapshots.sha256_text(record.snapshot_json) != (
            record.snapshot_hash
        ):
            problems.append(_("The snapshot of %(name)s was changed.") % {"name": name})
        for signature in record.signatures.all():
            signature.signoff = record
            if signature.signature_hash != signature_hash(signature):
                problems.append(_("A signature on %(name)s was changed.") % {"name": name})
    ledger = SignoffLedger.objects.filter(project=project).first()
    length, head = (ledger.length, ledger.head_hash) if ledger else (0, "")
    if length != len(sealed) or head != previous:
        problems.append(
            _(
                "The chain should hold %(expected)s sealed records ending in %(head)s; "
                "it holds %(n)s."
            )
            % {"expected": length, "head": head[:12] or "-", "n": len(sealed)}
        )
    return ChainReport(length=len(sealed), problems=problems)


# --- Verifying a document or a hash --------------------------------------------------------


@dataclass
class Verification:
    """What a pasted hash or an uploaded PDF matches: which sign-off, and how it stands now."""

    digest: str
    signoff: SignOff | None = None
    matched: str = ""  # "pdf", "snapshot" or "record"
    changes: list[snapshots.Change] = field(default_factory=list)
    chain: ChainReport | None = None


def file_sha256(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def signoff_verify(*, actor, project: Project, digest: str) -> Verification:
    """Find the project's sign-off whose PDF, snapshot or record has this SHA-256."""
    policy.ensure(actor, project, Capability.VIEW_PROJECT)
    digest = digest.strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValidationError({"hash": _("Paste a SHA-256 hash: 64 characters, 0-9 and a-f.")})
    result = Verification(digest=digest)
    base = SignOff.objects.filter(project=project).select_related("project", "cycle", "phase")
    for matched, lookup in (
        ("pdf", {"pdf__sha256": digest, "pdf__status": PdfStatus.READY}),
        ("record", {"record_hash": digest}),
        ("snapshot", {"snapshot_hash": digest}),
    ):
        signoff = base.filter(**lookup).order_by("-number").first()
        if signoff is not None:
            signoff.project = project
            result.signoff, result.matched = signoff, matched
            result.changes = signoff_freshness(signoff).changes
            result.chain = chain_verify(project)
            break
    return result


# --- After commit: PDF and e-mail ----------------------------------------------------------


def _queue_pdf(pdf: SignoffPdf) -> None:
    from uat.tasks import signoff_pdf_build_task

    enqueue_on_commit(signoff_pdf_build_task, pdf.pk)


def signoff_pdf_retry(*, actor, signoff: SignOff) -> SignoffPdf:
    """Queue the PDF build again after a failure (or when it never left the queue)."""
    policy.ensure(actor, signoff.project, Capability.VIEW_PROJECT)
    with transaction.atomic():
        pdf = SignoffPdf.objects.filter(signoff=signoff).first()
        if pdf is None:
            raise ApplicationError(_("This sign-off has no PDF: it is not signed."))
        return documents.pdf_requeue(
            pdf, ready_message=_("The PDF is ready; it is built only once."), queue=_queue_pdf
        )


def _notify(signoff: SignOff, event: str, user_pks: list[int]) -> None:
    from uat.tasks import signoff_mail_task

    recipients = sorted({pk for pk in user_pks if pk})
    if recipients:
        enqueue_on_commit(signoff_mail_task, signoff.pk, event, recipients)


def enqueue_on_commit(task, *args) -> None:
    from config.queue import enqueue

    transaction.on_commit(lambda: enqueue(task, *args))


def signoff_pdf_build(*, pdf_pk: int) -> SignoffPdf | None:
    """Build and store the PDF of a signed sign-off (see projects.documents).

    Runs in a worker; the stored document and its hash never change once ready.
    """
    from uat.pdf import render_signoff_pdf

    return documents.pdf_build(
        SignoffPdf,
        pdf_pk,
        render=lambda pdf: render_signoff_pdf(pdf.signoff),
        filename=lambda pdf: f"{pdf.signoff.display_number}.pdf",
        related=("signoff__project", "signoff__cycle", "signoff__phase"),
    )


def signoff_pdf_sweep(*, older_than_seconds: int = 600) -> int:
    """Queue again every stuck PDF build; returns how many were queued."""
    from uat.tasks import signoff_pdf_build_task

    return documents.pdf_sweep(
        SignoffPdf, signoff_pdf_build_task, older_than_seconds=older_than_seconds
    )
