import pytest

from projects.errors import ApplicationError
from tests.uat.signoff_builders import passing_cycle, requested, sign
from tests.uat.test_cycles_factories import make_defect
from uat.choices import SignoffStatus
from uat.services import signoffs as services


def test_two_signatures_sign_and_seal(project, pm, key_user, executive, pilot_user):
    cycle = passing_cycle(project, pilot_user)
    signoff = requested(
        project, pm, cycle, (key_user, "Business owner"), (executive, "Executive sponsor")
    )
    assert signoff.status == SignoffStatus.REQUESTED
    assert len(signoff.snapshot_hash) == 64
    sign(key_user, signoff)
    sign(executive, signoff)
    signoff.refresh_from_db()
    assert signoff.status == SignoffStatus.SIGNED
    assert signoff.sequence == 1
    assert signoff.record_hash
    assert services.chain_verify(project).is_intact


def test_new_defect_makes_request_stale(project, pm, key_user, pilot_user):
    cycle = passing_cycle(project, pilot_user)
    signoff = requested(project, pm, cycle, (key_user, "Business owner"))
    make_defect(project, pilot_user, cycle=cycle)
    with pytest.raises(ApplicationError):
        sign(key_user, signoff)
    signoff.refresh_from_db()
    assert signoff.stale_at is not None
    assert "DEF-" in signoff.stale_reason
