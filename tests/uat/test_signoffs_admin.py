"""The admin shows sign-offs, signatures and their PDFs, and changes nothing."""

import pytest
from django.urls import reverse

from tests.uat.signoff_builders import passing_cycle, requested, sign
from uat.models import Signature, SignOff, SignoffLedger, SignoffPdf
from uat.services import signoffs as services


@pytest.fixture
def signed(project, pm, key_user, executive, pilot_user):
    """A signed sign-off with two signatures and its (pending) PDF row."""
    signoff = requested(
        project,
        pm,
        passing_cycle(project, pilot_user),
        (key_user, "Business owner"),
        (executive, "Executive sponsor"),
    )
    sign(key_user, signoff, comment="Checked.")
    sign(executive, signoff)
    return SignOff.objects.get(pk=signoff.pk)


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


def _rows():
    return (
        list(SignOff.objects.values()),
        list(Signature.objects.values()),
        list(SignoffPdf.objects.values()),
    )


def _objects(signoff):
    return {
        "signoff": signoff.pk,
        "signature": Signature.objects.filter(signoff=signoff).first().pk,
        "signoffpdf": SignoffPdf.objects.get(signoff=signoff).pk,
        "signoffledger": SignoffLedger.objects.get(project=signoff.project_id).pk,
    }


@pytest.mark.parametrize("model", ["signoff", "signature", "signoffpdf", "signoffledger"])
def test_a_superuser_sees_the_list_and_each_record(model, superuser_client, signed):
    pk = _objects(signed)[model]
    listing = superuser_client.get(reverse(f"admin:uat_{model}_changelist"))
    assert listing.status_code == 200
    page = superuser_client.get(reverse(f"admin:uat_{model}_change", args=[pk]))
    assert page.status_code == 200
    # shown read-only: no save button, no delete link
    assert b'name="_save"' not in page.content
    assert reverse(f"admin:uat_{model}_delete", args=[pk]).encode() not in page.content


def test_the_sign_off_page_shows_its_signatories_and_signatures(
    superuser_client, signed, key_user, executive
):
    page = superuser_client.get(reverse("admin:uat_signoff_change", args=[signed.pk]))
    content = page.content.decode()
    assert "Executive sponsor" in content
    assert key_user.display_name in content
    assert executive.display_name in content
    assert "Checked." in content
    assert signed.record_hash in content


@pytest.mark.parametrize("model", ["signoff", "signature", "signoffpdf", "signoffledger"])
def test_the_admin_refuses_to_add_change_or_delete(model, superuser_client, signed):
    pk = _objects(signed)[model]
    before = _rows()
    ledger = list(SignoffLedger.objects.values())
    change = superuser_client.post(
        reverse(f"admin:uat_{model}_change", args=[pk]), {"title": "Edited", "comment": "Edited"}
    )
    delete_page = superuser_client.get(reverse(f"admin:uat_{model}_delete", args=[pk]))
    delete = superuser_client.post(reverse(f"admin:uat_{model}_delete", args=[pk]), {"post": "yes"})
    add = superuser_client.get(reverse(f"admin:uat_{model}_add"))
    assert (change.status_code, delete_page.status_code, delete.status_code) == (403, 403, 403)
    assert add.status_code == 403
    assert _rows() == before
    assert list(SignoffLedger.objects.values()) == ledger
    assert services.chain_verify(signed.project).is_intact


def test_the_bulk_delete_action_is_not_offered(superuser_client, signed):
    listing = superuser_client.get(reverse("admin:uat_signoff_changelist"))
    assert b"delete_selected" not in listing.content
    response = superuser_client.post(
        reverse("admin:uat_signoff_changelist"),
        {"action": "delete_selected", "_selected_action": [signed.pk], "post": "yes"},
    )
    assert response.status_code in {200, 302}
    assert SignOff.objects.filter(pk=signed.pk).exists()
