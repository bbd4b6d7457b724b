"""Sign-off e-mails: signatories when their signature is awaited, the requester at the end."""

import pytest
from django.core import mail

from projects.errors import ApplicationError
from tests.uat.signoff_builders import draft, passing_cycle, requested, sign
from tests.uat.test_cycles_factories import make_cycle, make_scope, run
from uat.choices import ExecutionResult, SigningOrder
from uat.services import signoffs as services

SITE = "https://rollout.example"


@pytest.fixture(autouse=True)
def _mail_and_pdf(monkeypatch, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = SITE
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr("uat.pdf.render_signoff_pdf", lambda signoff: b"%PDF-1.4 test")


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run a service and, as after a real commit, the work it queued (e-mails, PDF)."""

    def call(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return call


def _link(signoff):
    return SITE + signoff.get_absolute_url()


def _html(message):
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


def test_in_parallel_each_signatory_gets_one_e_mail_with_the_link(
    project, pm, key_user, executive, pilot_user, run_on_commit
):
    signoff = draft(
        project,
        pm,
        passing_cycle(project, pilot_user),
        (key_user, "Business owner"),
        (executive, "Executive sponsor"),
    )
    run_on_commit(services.signoff_request, actor=pm, signoff=signoff)
    assert sorted(m.to for m in mail.outbox) == sorted([[key_user.email], [executive.email]])
    link = _link(signoff)
    assert link.startswith(SITE + "/")
    for message in mail.outbox:
        assert message.subject == (
            "[HNR-ERP] Your signature is requested: UAT sign-off: UAT round 1"
        )
        assert link in message.body
        assert f'href="{link}"' in _html(message)
        assert "Attention" not in message.body


def test_in_order_only_the_next_signatory_is_asked(
    project, pm, key_user, executive, pilot_user, run_on_commit
):
    signoff = draft(
        project,
        pm,
        passing_cycle(project, pilot_user),
        (key_user, "Business owner"),
        (executive, "Executive sponsor"),
        order=SigningOrder.SEQUENTIAL,
    )
    signoff = run_on_commit(services.signoff_request, actor=pm, signoff=signoff)
    assert [m.to for m in mail.outbox] == [[key_user.email]]
    run_on_commit(sign, key_user, signoff)
    assert [m.to for m in mail.outbox] == [[key_user.email], [executive.email]]
    assert mail.outbox[1].subject == (
        "[HNR-ERP] Your signature is requested: UAT sign-off: UAT round 1"
    )
    assert _link(signoff) in mail.outbox[1].body


def test_the_requester_hears_when_everyone_signed(
    project, pm, key_user, executive, pilot_user, run_on_commit
):
    signoff = requested(
        project,
        pm,
        passing_cycle(project, pilot_user),
        (key_user, "Business owner"),
        (executive, "Executive sponsor"),
    )
    run_on_commit(sign, key_user, signoff)
    assert mail.outbox == []  # in parallel, nobody new is asked and nothing ended yet
    run_on_commit(sign, executive, signoff)
    [message] = mail.outbox
    signoff.refresh_from_db()
    assert message.to == [pm.email]
    assert message.subject == "[HNR-ERP] Signed by everyone: UAT sign-off: UAT round 1"
    assert _link(signoff) in message.body
    assert signoff.record_hash in message.body
    assert f'href="{_link(signoff)}"' in _html(message)


def test_the_requester_hears_of_a_rejection_and_why(
    project, pm, key_user, executive, pilot_user, run_on_commit
):
    signoff = requested(
        project,
        pm,
        passing_cycle(project, pilot_user),
        (key_user, "Business owner"),
        (executive, "Executive sponsor"),
    )
    run_on_commit(sign, key_user, signoff, "rejected", comment="VAT 8% missing on invoices.")
    [message] = mail.outbox
    assert message.to == [pm.email]
    assert message.subject == "[HNR-ERP] Rejected: UAT sign-off: UAT round 1"
    assert "VAT 8% missing on invoices." in message.body
    assert "VAT 8% missing on invoices." in _html(message)
    assert _link(signoff) in message.body


def test_e_mails_name_the_reader_the_sign_off_and_who_rejected(
    project, pm, key_user, pilot_user, run_on_commit
):
    signoff = draft(project, pm, passing_cycle(project, pilot_user), (key_user, "Business owner"))
    run_on_commit(services.signoff_request, actor=pm, signoff=signoff)
    run_on_commit(sign, key_user, signoff, "rejected", comment="VAT 8% missing on invoices.")
    asked, rejected = mail.outbox
    assert asked.body.startswith(f"Hello {key_user.display_name},")
    assert (
        'Your signature is requested on "UAT sign-off: UAT round 1" (Hanoi Retail ERP).'
    ) in asked.body
    assert rejected.body.startswith(f"Hello {pm.display_name},")
    assert (
        f"Rejected by {key_user.display_name} (Business owner): VAT 8% missing on invoices."
    ) in rejected.body


def test_an_override_is_told_in_the_request(project, pm, key_user, pilot_user, run_on_commit):
    cycle = make_cycle(project)
    [entry] = make_scope(cycle, 1, pilot_user)
    run(entry, pilot_user, ExecutionResult.FAILED)
    signoff = draft(project, pm, cycle, (key_user, "Business owner"))
    run_on_commit(
        services.signoff_request,
        actor=pm,
        signoff=signoff,
        override_reason="The failed run is a report layout; fixed in round 2.",
    )
    [message] = mail.outbox
    for body in (message.body, _html(message)):
        assert (
            "Attention: this request was made while exit criteria fail, by the project "
            "manager's override."
        ) in body
        assert "The failed run is a report layout; fixed in round 2." in body


def test_people_without_an_e_mail_address_are_skipped(
    project, pm, key_user, executive, pilot_user, run_on_commit
):
    key_user.email = ""
    key_user.save(update_fields=["email"])
    signoff = draft(
        project,
        pm,
        passing_cycle(project, pilot_user),
        (key_user, "Business owner"),
        (executive, "Executive sponsor"),
    )
    run_on_commit(services.signoff_request, actor=pm, signoff=signoff)
    assert [m.to for m in mail.outbox] == [[executive.email]]


def test_a_refused_request_sends_nothing(project, pm, key_user, pilot_user, run_on_commit):
    cycle = make_cycle(project)
    [entry] = make_scope(cycle, 1, pilot_user)
    run(entry, pilot_user, ExecutionResult.FAILED)
    signoff = draft(project, pm, cycle, (key_user, "Business owner"))
    with pytest.raises(ApplicationError):
        run_on_commit(services.signoff_request, actor=pm, signoff=signoff)
    assert mail.outbox == []


def test_plain_text_keeps_apostrophes_and_ampersands_as_written(
    project, pm, key_user, pilot_user, run_on_commit
):
    key_user.first_name, key_user.last_name = "O'Brien", "& Sons"
    key_user.save()
    signoff = draft(project, pm, passing_cycle(project, pilot_user), (key_user, "Business owner"))
    run_on_commit(services.signoff_request, actor=pm, signoff=signoff)

    [message] = mail.outbox
    assert message.body.startswith("Hello O'Brien & Sons,")
    assert "O&#x27;Brien &amp; Sons" in _html(message)
