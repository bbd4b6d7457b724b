"""Builders for the sign-off tests (no tests here): a cycle that meets its exit criteria
and a requested sign-off with two signatories."""

from tests.factories import PASSWORD
from tests.uat.test_cycles_factories import make_cycle, make_scope, run
from uat.choices import ExecutionResult, SigningOrder, SignoffKind
from uat.services import signoffs as services


def passing_cycle(project, pilot_user, count=3, **fields):
    """A cycle whose every scenario passed: every exit criterion is met."""
    cycle = make_cycle(project, **fields)
    for entry in make_scope(cycle, count, pilot_user):
        run(entry, pilot_user, ExecutionResult.PASSED)
    return cycle


def draft(project, actor, cycle, *signers, order=SigningOrder.PARALLEL):
    """A draft UAT sign-off naming (user, role title) pairs in order."""
    return services.signoff_create(
        actor=actor,
        project=project,
        kind=SignoffKind.UAT,
        cycle=cycle,
        signing_order=order,
        signatories=[{"user": user, "role_title": role} for user, role in signers],
    )


def requested(project, pm, cycle, *signers, order=SigningOrder.PARALLEL):
    signoff = draft(project, pm, cycle, *signers, order=order)
    return services.signoff_request(actor=pm, signoff=signoff)


def sign(user, signoff, decision="approved", comment="", password=PASSWORD, ip="10.0.0.7"):
    return services.signoff_sign(
        actor=user,
        signoff=signoff,
        decision=decision,
        comment=comment,
        password=password,
        ip_address=ip,
    )
