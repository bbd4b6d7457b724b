"""Demo sign-offs: UAT round 1 signed, UAT round 2 requested and half-way signed.

The finance key user (business owner), the IT lead and the executive sponsor sign in that
order. Round 1 ran every scenario, but most of its failures were fixed only for round 2 and
the warehouse transfer defect is still open, so the project manager requests it with an
override that says so. Round 2 is requested while it is still running, so that the business
owner can sign off what was re-tested before the steering committee; she has signed, the IT
lead is next.

Everything goes through the services, so snapshots, signatures and the project's chain are
real. Signing needs the signatory's password, which the seed does not know: it signs with a
copy of each user holding a one-off password in memory only (the stored password is never
touched). The PDF is built after the seed commits; if that fails, the PDF row says so and the
sign-off stays signed.
"""

import datetime
import secrets

from projects.models import Project, User
from uat import snapshots
from uat.choices import OPEN_STATUSES, Severity, SigningOrder, SignoffKind
from uat.models import SignOff, TestCycle
from uat.services import signoffs as services

SIGNATORIES = (
    ("keyuser", "Business owner (Finance)"),
    ("it", "IT lead"),
    ("executive", "Executive sponsor"),
)


def seed_signoffs(*, project: Project, users: dict[str, User], today: datetime.date) -> None:
    if SignOff.objects.filter(project=project).exists():
        return  # seeded already
    pm = users["pm"]
    cycles = {cycle.name: cycle for cycle in TestCycle.objects.filter(project=project)}
    round1, round2 = cycles["UAT round 1"], cycles["UAT round 2"]

    first = _request(project, pm, users, round1, _round1_reason)
    for number, (username, _role) in enumerate(SIGNATORIES, start=1):
        _sign(users[username], first, ip=f"10.20.1.{10 + number}")

    second = _request(project, pm, users, round2, _round2_reason)
    _sign(users["keyuser"], second, ip="10.20.1.11", comment=ROUND2_COMMENT)


ROUND2_COMMENT = (
    "Re-tests of the round 1 defects I reported pass. I sign on the understanding that the "
    "scenarios not yet run are finished before the go/no-go meeting."
)


def _request(project, pm, users, cycle, reason):
    signoff = services.signoff_create(
        actor=pm,
        project=project,
        kind=SignoffKind.UAT,
        cycle=cycle,
        signing_order=SigningOrder.SEQUENTIAL,
        signatories=[
            {"user": users[username], "role_title": role} for username, role in SIGNATORIES
        ],
    )
    content = snapshots.build_content(signoff)
    failing = snapshots.failing_criteria(content)
    return services.signoff_request(
        actor=pm, signoff=signoff, override_reason=reason(content) if failing else ""
    )


def _round1_reason(content: dict) -> str:
    counts = content["counts"]
    open_high = [
        d
        for d in content["defects"]
        if d["severity"] in {Severity.CRITICAL, Severity.HIGH} and d["status"] in OPEN_STATUSES
    ]
    text = (
        f"Round 1 ran all {counts['executed']} scenarios with a pass rate of "
        f"{counts['pass_rate']}%. Its defects were fixed and re-tested in round 2, except those "
        "the snapshot lists as reopened, deferred or still open."
    )
    names = ", ".join(f"DEF-{d['number']} ({d['title']})" for d in open_high)
    if names:
        text += f" Open and blocking go-live until re-tested: {names}."
    return text


def _round2_reason(content: dict) -> str:
    counts = content["counts"]
    return (
        f"Requested with {counts['not_executed']} of {counts['planned']} scenarios not yet run "
        f"and a pass rate so far of {counts['pass_rate']}% ({counts['failed']} failed runs, "
        "each with its defect in the snapshot), so that the business owner can sign off the "
        "re-tests before the steering committee. Any further run makes this request stale; it "
        "is then requested again."
    )


def _sign(user: User, signoff: SignOff, *, ip: str, comment: str = "") -> None:
    signer = User.objects.get(pk=user.pk)
    password = secrets.token_urlsafe(16)
    signer.set_password(password)  # in memory only: never saved
    services.signoff_sign(
        actor=signer,
        signoff=signoff,
        decision="approved",
        password=password,
        comment=comment,
        ip_address=ip,
    )
