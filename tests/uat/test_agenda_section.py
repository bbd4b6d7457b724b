import pytest

from implementation.agenda import build_agenda
from uat.models import Defect


@pytest.mark.django_db
def test_agenda_lists_open_critical_and_high_defects_critical_first(project, pilot_user):
    for number, (severity, status) in enumerate(
        [("high", "new"), ("critical", "triaged"), ("low", "new"), ("critical", "closed")],
        start=1,
    ):
        Defect.objects.create(
            project=project,
            number=number,
            title=f"Defect {number}",
            severity=severity,
            status=status,
            reporter=pilot_user,
        )

    section = next(s for s in build_agenda(project=project).sections if s.key == "blocking_defects")

    assert [item.text for item in section.items] == ["DEF-2 · Defect 2", "DEF-1 · Defect 1"]
    assert section.count == 2


def _pending_section(project):
    return next(s for s in build_agenda(project=project).sections if s.key == "pending_signoffs")


def test_agenda_lists_requested_sign_offs_with_who_is_awaited_in_order(
    project, pm, key_user, executive, pilot_user
):
    from tests.uat.signoff_builders import passing_cycle, requested, sign
    from uat.choices import SigningOrder

    cycle = passing_cycle(project, pilot_user)
    signoff = requested(
        project,
        pm,
        cycle,
        (key_user, "Business owner"),
        (executive, "Executive sponsor"),
        order=SigningOrder.SEQUENTIAL,
    )

    before = _pending_section(project)
    sign(key_user, signoff)
    after = _pending_section(project)

    assert [item.text for item in before.items] == [f"SO-1 · {signoff.title}"]
    assert before.items[0].detail == f"Awaiting {key_user.display_name}"
    assert before.items[0].url == f"/projects/{project.code}/sign-offs/1/"
    assert after.items[0].detail == f"Awaiting {executive.display_name}"


def test_agenda_flags_a_stale_request_and_drops_concluded_ones(project, pm, key_user, pilot_user):
    from tests.uat.signoff_builders import passing_cycle, requested
    from tests.uat.test_cycles_factories import make_defect
    from uat.services import signoffs

    stale = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    make_defect(project, pilot_user, cycle=stale.cycle)
    signoffs.signoff_mark_stale_if_changed(stale)
    cancelled = requested(project, pm, stale.cycle, (key_user, "Owner"))
    signoffs.signoff_cancel(actor=pm, signoff=cancelled, reason="Postponed")

    section = _pending_section(project)

    assert [(item.text.split(" ")[0], item.flags) for item in section.items] == [
        ("SO-1", ("stale",))
    ]
    assert section.items[0].detail == "Scope changed since the request: request it again."


def test_pending_sign_offs_cost_the_same_queries_for_1_and_5(
    project, pm, key_user, executive, pilot_user
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.uat.signoff_builders import passing_cycle, requested

    def measure():
        with CaptureQueriesContext(connection) as context:
            section = _pending_section(project)
            [item.detail for item in section.items]
        return len(context.captured_queries), len(section.items)

    cycle = passing_cycle(project, pilot_user)
    requested(project, pm, cycle, (key_user, "Owner"), (executive, "Sponsor"))
    one = measure()
    for _n in range(4):
        requested(project, pm, cycle, (key_user, "Owner"), (executive, "Sponsor"))
    five = measure()

    assert (one[1], five[1]) == (1, 5)
    assert one[0] == five[0]
