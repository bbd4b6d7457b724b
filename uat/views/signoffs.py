"""Sign-off pages: doors onto uat.selectors.signoffs and uat.services.signoffs.

Every member reads sign-offs, downloads their PDFs and verifies a PDF or a hash; project
managers and consultants prepare, request and cancel them (only the project manager may
request while exit criteria fail); only the named signatory whose signature is awaited
sees and submits the sign form. Opening a pending request checks it against its subject,
so a change in scope shows at once as a stale request that nobody can sign.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from projects import policy
from projects.choices import PdfStatus
from projects.errors import ApplicationError
from projects.models import Membership, User
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error, is_partial, paginate
from uat import snapshots
from uat.choices import (
    SIGNOFF_TRANSITIONS,
    Decision,
    Severity,
    SigningOrder,
    SignoffKind,
    SignoffStatus,
)
from uat.pdf import PERCENT_CRITERIA, go_live_sections, hypercare_exit_sections
from uat.selectors import cycles as cycle_selectors
from uat.selectors import signoffs as selectors
from uat.services import signoffs as services
from uat.signoff_forms import (
    CancelForm,
    RequestForm,
    SignatoryFormSet,
    SignForm,
    SignoffCreateForm,
    SignoffDraftForm,
    VerifyForm,
    signatory_rows,
)

TEMPLATES = "uat/signoffs"
SIGNING_ROLES = [role for role, held in policy.ROLE_CAPABILITIES.items() if Capability.SIGN in held]
MATCHED_LABELS = {
    "pdf": gettext_lazy("the PDF file issued for it"),
    "snapshot": gettext_lazy("its frozen snapshot (what was signed)"),
    "record": gettext_lazy("its sealed record in the chain"),
}


def _detail_url(project, signoff) -> str:
    return reverse("signoffs:detail", args=[project.code, signoff.number])


def _pdf_of(signoff):
    """The sign-off's PDF row, or None (joined by the selector)."""
    return getattr(signoff, "pdf", None)


def _pdf_filename(project, signoff) -> str:
    return f"{project.code}-{signoff.display_number}.pdf"


def _signers(project):
    """The team members whose role may sign, to choose signatories from."""
    seats = Membership.objects.filter(project=project, role__in=SIGNING_ROLES)
    return (
        User.objects.filter(pk__in=seats.values("user"))
        .annotate(team_role=Subquery(seats.filter(user=OuterRef("pk")).values("role")[:1]))
        .order_by("first_name", "last_name", "username")
    )


def _people(signoff) -> dict:
    """Who signed and who is awaited, from the rows the selector prefetched (no query).

    The same rule as services.awaiting, which asks the database per signatory: fine on
    one sign-off's page, not on a list.
    """
    signatories = sorted(signoff.signatories.all(), key=lambda s: s.position)
    signatures = {s.signatory_id: s for s in signoff.signatures.all()}
    awaited = []
    if signoff.status == SignoffStatus.REQUESTED and signoff.stale_at is None:
        awaited = [s for s in signatories if s.pk not in signatures]
        if signoff.signing_order == SigningOrder.SEQUENTIAL:
            awaited = awaited[:1]
    return {
        "signed": [signatures[s.pk] for s in signatories if s.pk in signatures],
        "awaited": awaited,
    }


# --- List ---------------------------------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@require_GET
def signoff_list(request, project):
    """The project's sign-offs, newest first, 25 a page, and whether the chain is intact."""
    page = paginate(request, selectors.signoff_list(user=request.user, project=project))
    rows = [{"signoff": s, "pdf": _pdf_of(s), **_people(s)} for s in page.object_list]
    context = {
        "project": project,
        "page": page,
        "rows": rows,
        "chain": services.chain_verify(project),
        "can_manage": policy.can(request.user, project, Capability.MANAGE_SIGNOFFS),
        "READY": PdfStatus.READY,
    }
    template = f"{TEMPLATES}/list.html#results" if is_partial(request) else f"{TEMPLATES}/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- Prepare ------------------------------------------------------------------------------


def _form_page(request, project, form, formset, signoff=None, status=200):
    context = {"project": project, "form": form, "formset": formset, "signoff": signoff}
    return render(request, f"{TEMPLATES}/form.html", context, status=status)


@project_view(Capability.MANAGE_SIGNOFFS)
@require_http_methods(["GET", "POST"])
def signoff_create(request, project):
    """Prepare a draft: what is signed off, its title, the signing order and the signatories."""
    data = request.POST if request.method == "POST" else None
    cycles = cycle_selectors.cycle_list(user=request.user, project=project)
    # "?kind=go_live" (from the readiness panel) opens the form on the go/no-go decision.
    kind = request.GET.get("kind")
    initial = {"kind": kind} if kind in SignoffKind.values else {}
    form = SignoffCreateForm(data, cycles=cycles, initial=initial)
    formset = SignatoryFormSet(
        data, prefix="signatories", form_kwargs={"signers": _signers(project)}
    )
    if data is not None and form.is_valid() & formset.is_valid():
        fields = form.cleaned_data
        try:
            signoff = services.signoff_create(
                actor=request.user,
                project=project,
                kind=fields["kind"],
                cycle=fields["cycle"] if fields["kind"] == SignoffKind.UAT else None,
                title=fields["title"],
                signing_order=fields["signing_order"],
                signatories=signatory_rows(formset),
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(
                request,
                _("%(signoff)s prepared as a draft. Check it, then request the signatures.")
                % {"signoff": signoff.display_number},
            )
            return redirect(_detail_url(project, signoff))
    status = UNPROCESSABLE if data is not None else 200
    return _form_page(request, project, form, formset, status=status)


@project_view(Capability.MANAGE_SIGNOFFS)
@require_http_methods(["GET", "POST"])
def signoff_edit(request, project, number):
    """Change a draft's title, signing order or signatories (replaced as a whole)."""
    signoff = selectors.signoff_get(user=request.user, project=project, number=number)
    if signoff.status != SignoffStatus.DRAFT:
        messages.error(request, _("Only a draft sign-off can be changed."))
        return redirect(_detail_url(project, signoff))
    data = request.POST if request.method == "POST" else None
    form = SignoffDraftForm(
        data, initial={"title": signoff.title, "signing_order": signoff.signing_order}
    )
    initial = [
        {"user": s.user, "role_title": s.role_title, "meaning": s.meaning}
        for s in sorted(signoff.signatories.all(), key=lambda s: s.position)
    ]
    formset = SignatoryFormSet(
        data,
        prefix="signatories",
        initial=initial,
        form_kwargs={"signers": _signers(project)},
    )
    if data is not None and form.is_valid() & formset.is_valid():
        fields = form.cleaned_data
        try:
            services.signoff_update_draft(
                actor=request.user,
                signoff=signoff,
                signatories=signatory_rows(formset),
                signing_order=fields["signing_order"],
                title=fields["title"],
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Draft saved."))
            return redirect(_detail_url(project, signoff))
    status = UNPROCESSABLE if data is not None else 200
    return _form_page(request, project, form, formset, signoff, status=status)


# --- Read ---------------------------------------------------------------------------------


def _number(value) -> str:
    """'95.0' -> '95', None -> '–': snapshot numbers as people read them."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    text = str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _criteria(rows: list[dict]) -> list[dict]:
    shown = []
    for row in rows:
        percent = "%" if row["key"] in PERCENT_CRITERIA else ""
        shown.append(
            {
                "key": row["key"],
                "label": snapshots.criterion_label(row["key"]),
                "threshold": _number(row["threshold"]) + percent,
                "actual": _number(row["actual"]) + (percent if row["actual"] is not None else ""),
                "met": row["met"],
            }
        )
    return shown


def snapshot_view(content: dict, project=None) -> dict:
    """A snapshot's content (frozen or current) in the shape the page shows, labels added;
    a go-live readiness or hypercare exit snapshot adds its sections, red criteria explained
    in words."""
    if not content:
        return {}
    if "open_tickets" in content and "weeks" in content:
        # A hypercare exit: its own sections, red criteria explained in words.
        hypercare = hypercare_exit_sections(project, content)
        return {
            "is_hypercare": True,
            "is_go_live": False,
            "hypercare": hypercare,
            "criteria": hypercare["criteria"],
            "open_total": hypercare["open_total"],
        }
    counts = content.get("counts")
    open_defects = content.get("open_defects", {})
    is_go_live = "checklist" in content
    go_live = go_live_sections(project, content) if is_go_live else {}
    return {
        "counts": counts,
        "pass_rate": _number(counts["pass_rate"]) + "%"
        if counts and counts["pass_rate"] is not None
        else "–",
        # The go/no-go decision counts only the blocking severities.
        "open_defects": [
            {"label": str(label), "count": open_defects.get(value, 0)}
            for value, label in Severity.choices
            if value in open_defects or not is_go_live
        ],
        "open_total": sum(open_defects.values()),
        "deferred": [
            row | {"severity_label": _label(Severity, row["severity"])}
            for row in content.get("deferred_defects", [])
        ],
        "criteria": go_live["criteria"] if go_live else _criteria(content.get("exit_criteria", [])),
        "go_live": go_live,
        "configuration_changes": content.get("configuration_changes", []),
        "scope_size": len(content.get("scope", content.get("checklist", []))),
        "checklist": content.get("checklist"),
        "uat_signoffs": [
            row | {"status_label": _label(SignoffStatus, row["status"])}
            for row in content.get("uat_signoffs", [])
        ],
        "is_go_live": is_go_live,
    }


def _signatory_rows(signoff) -> list[dict]:
    signatures = {s.signatory_id: s for s in signoff.signatures.all()}
    return [
        {"signatory": s, "signature": signatures.get(s.pk)}
        for s in sorted(signoff.signatories.all(), key=lambda s: s.position)
    ]


def _detail_context(request, project, signoff, **forms) -> dict:
    user = request.user
    can_manage = policy.can(user, project, Capability.MANAGE_SIGNOFFS)
    status = signoff.status
    changes, preview, failing = [], {}, []
    if status == SignoffStatus.REQUESTED:
        changes = services.signoff_mark_stale_if_changed(signoff).changes
    elif status == SignoffStatus.SIGNED:
        changes = services.signoff_freshness(signoff).changes
    elif status == SignoffStatus.DRAFT:
        content = snapshots.build_content(signoff)
        preview = snapshot_view(content, project)
        failing = [snapshots.criterion_label(key) for key in snapshots.failing_criteria(content)]
    next_round = (
        selectors.signoff_list(user=user, project=project).filter(previous_round=signoff).first()
        if status in {SignoffStatus.REJECTED, SignoffStatus.CANCELLED}
        else None
    )
    may_sign = services.may_sign(user, signoff)
    return {
        "project": project,
        "signoff": signoff,
        "pdf": _pdf_of(signoff),
        "frozen": snapshot_view(services.frozen_content(signoff), project),
        "preview": preview,
        "failing": failing,
        "overridden": [snapshots.criterion_label(key) for key in signoff.override_criteria],
        "changes": [str(change.text) for change in changes],
        "stale_lines": [line for line in signoff.stale_reason.splitlines() if line.strip()],
        "awaiting": [] if signoff.stale_at else services.awaiting(signoff),
        "signatories": _signatory_rows(signoff),
        "next_round": next_round,
        "may_sign": may_sign,
        "my_signatory": next((s for s in signoff.signatories.all() if s.user_id == user.pk), None),
        "can_manage": can_manage,
        "can_override": policy.can(user, project, Capability.OVERRIDE_SIGNOFF),
        "can_edit": can_manage and status == SignoffStatus.DRAFT,
        "can_request": can_manage and SignoffStatus.REQUESTED in SIGNOFF_TRANSITIONS[status],
        "can_cancel": can_manage and SignoffStatus.CANCELLED in SIGNOFF_TRANSITIONS[status],
        "can_new_round": can_manage
        and next_round is None
        and (
            status in {SignoffStatus.REJECTED, SignoffStatus.CANCELLED}
            or (status == SignoffStatus.REQUESTED and signoff.stale_at is not None)
        ),
        "request_form": forms.get("request_form") or RequestForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "sign_form": forms.get("sign_form") or SignForm(),
        "REJECTED": Decision.REJECTED,
    }


def _detail_page(request, project, signoff, status=200, partial=None, **forms):
    context = _detail_context(request, project, signoff, **forms)
    template = f"{TEMPLATES}/detail.html"
    if partial and is_partial(request):
        template += f"#{partial}"
    return render(request, template, context, status=status)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def signoff_detail(request, project, number):
    """One sign-off: what was frozen, who signed, who is awaited, and what changed since."""
    signoff = selectors.signoff_get(user=request.user, project=project, number=number)
    return _detail_page(request, project, signoff)


def _done(request, project, signoff, message):
    messages.success(request, message)
    target = _detail_url(project, signoff)
    if is_partial(request):
        return HttpResponseClientRedirect(target)
    return redirect(target)


# --- Request, cancel, new round -----------------------------------------------------------


@project_view(Capability.MANAGE_SIGNOFFS)
@require_POST
def signoff_request(request, project, number):
    """Freeze the snapshot and ask the signatories; an override needs the PM and a reason."""
    signoff = selectors.signoff_get(user=request.user, project=project, number=number)
    form = RequestForm(request.POST)
    if form.is_valid():
        try:
            signoff = services.signoff_request(
                actor=request.user,
                signoff=signoff,
                override_reason=form.cleaned_data["override_reason"],
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(
                request,
                project,
                signoff,
                _("Signatures requested for %(signoff)s.") % {"signoff": signoff.display_number},
            )
    signoff = selectors.signoff_get(user=request.user, project=project, number=number)
    return _detail_page(
        request, project, signoff, UNPROCESSABLE, partial="request", request_form=form
    )


@project_view(Capability.MANAGE_SIGNOFFS)
@require_POST
def signoff_cancel(request, project, number):
    """Withdraw a draft, or a pending request with a reason."""
    signoff = selectors.signoff_get(user=request.user, project=project, number=number)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            signoff = services.signoff_cancel(
                actor=request.user, signoff=signoff, reason=form.cleaned_data["reason"]
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(
                request,
                project,
                signoff,
                _("%(signoff)s cancelled.") % {"signoff": signoff.display_number},
            )
    signoff = selectors.signoff_get(user=request.user, project=project, number=number)
    return _detail_page(
        request, project, signoff, UNPROCESSABLE, partial="cancel", cancel_form=form
    )


@project_view(Capability.MANAGE_SIGNOFFS)
@require_POST
def signoff_new_round(request, project, number):
    """Start the next round as a new draft; a stale request is cancelled first."""
    signoff = selectors.signoff_get(user=request.user, project=project, number=number)
    try:
        created = services.signoff_new_round(actor=request.user, signoff=signoff)
    except (ApplicationError, ValidationError) as error:
        for text in error.messages if isinstance(error, ValidationError) else [error.message]:
            messages.error(request, text)
        signoff = selectors.signoff_get(user=request.user, project=project, number=number)
        return _detail_page(request, project, signoff, UNPROCESSABLE)
    return _done(
        request,
        project,
        created,
        _("Round %(round)s started as %(signoff)s: check it, then request the signatures.")
        % {"round": created.round, "signoff": created.display_number},
    )


# --- Sign ---------------------------------------------------------------------------------


@project_view(Capability.SIGN)
@require_POST
def signoff_sign(request, project, number):
    """Approve or reject as the signatory whose signature is awaited, re-entering the password."""
    signoff = selectors.signoff_get(user=request.user, project=project, number=number)
    if not services.may_sign(request.user, signoff):
        raise PermissionDenied(_("Your signature is not awaited on this sign-off."))
    form = SignForm(request.POST)
    if form.is_valid():
        fields = form.cleaned_data
        try:
            services.signoff_sign(
                actor=request.user,
                signoff=signoff,
                decision=fields["decision"],
                password=fields["password"],
                comment=fields["comment"],
                ip_address=request.META.get("REMOTE_ADDR") or None,
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            text = (
                _("You approved %(signoff)s.")
                if fields["decision"] == Decision.APPROVED
                else _("You rejected %(signoff)s.")
            )
            return _done(request, project, signoff, text % {"signoff": signoff.display_number})
    signoff = selectors.signoff_get(user=request.user, project=project, number=number)
    return _detail_page(request, project, signoff, UNPROCESSABLE, partial="sign", sign_form=form)


# --- PDF ----------------------------------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@require_GET
def pdf_status(request, project, number):
    """The PDF panel alone, polled by the detail page while the PDF is being built."""
    signoff = selectors.signoff_get(user=request.user, project=project, number=number)
    if not is_partial(request):
        return redirect(_detail_url(project, signoff) + "#pdf")
    context = {"project": project, "signoff": signoff, "pdf": _pdf_of(signoff)}
    response = render(request, f"{TEMPLATES}/detail.html#pdf", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@project_view(Capability.VIEW_PROJECT)
@require_POST
def pdf_retry(request, project, number):
    """Queue the PDF build again after it failed."""
    signoff = selectors.signoff_get(user=request.user, project=project, number=number)
    try:
        services.signoff_pdf_retry(actor=request.user, signoff=signoff)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The PDF is being built again."))
    if is_partial(request):
        signoff = selectors.signoff_get(user=request.user, project=project, number=number)
        context = {"project": project, "signoff": signoff, "pdf": _pdf_of(signoff)}
        return render(request, f"{TEMPLATES}/detail.html#pdf", context)
    return redirect(_detail_url(project, signoff) + "#pdf")


@project_view(Capability.VIEW_PROJECT)
@require_GET
def pdf_download(request, project, number):
    """The signed sign-off's PDF as it was stored when built; 404 until it is ready."""
    signoff = selectors.signoff_get(user=request.user, project=project, number=number)
    pdf = _pdf_of(signoff)
    if pdf is None or pdf.status != PdfStatus.READY or not pdf.file:
        raise Http404(_("The PDF of this sign-off is not ready."))
    response = FileResponse(
        pdf.file.open("rb"),
        as_attachment=True,
        filename=_pdf_filename(project, signoff),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Verify -------------------------------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@require_http_methods(["GET", "POST"])
def signoff_verify(request, project):
    """Which of the project's sign-offs a PDF or a SHA-256 belongs to, and how it stands."""
    posted = request.method == "POST"
    form = VerifyForm(request.POST if posted else None, request.FILES if posted else None)
    result = None
    status = 200
    if posted:
        if form.is_valid():
            data = form.cleaned_data
            digest = services.file_sha256(data["file"]) if data["file"] else data["hash"]
            try:
                result = services.signoff_verify(actor=request.user, project=project, digest=digest)
            except (ApplicationError, ValidationError) as error:
                apply_error(form, error)
        if form.errors:
            status = UNPROCESSABLE
    context = {
        "project": project,
        "form": form,
        "result": result,
        "matched_label": MATCHED_LABELS.get(result.matched, "") if result else "",
        "changes": [str(change.text) for change in result.changes] if result else [],
    }
    template = f"{TEMPLATES}/verify.html"
    if is_partial(request):
        template += "#verify"
    return render(request, template, context, status=status)


urlpatterns = [
    path("", signoff_list, name="list"),
    path("new/", signoff_create, name="create"),
    path("verify/", signoff_verify, name="verify"),
    path("<int:number>/", signoff_detail, name="detail"),
    path("<int:number>/edit/", signoff_edit, name="edit"),
    path("<int:number>/request/", signoff_request, name="request"),
    path("<int:number>/cancel/", signoff_cancel, name="cancel"),
    path("<int:number>/sign/", signoff_sign, name="sign"),
    path("<int:number>/new-round/", signoff_new_round, name="new-round"),
    path("<int:number>/pdf/", pdf_download, name="pdf"),
    path("<int:number>/pdf/status/", pdf_status, name="pdf-status"),
    path("<int:number>/pdf/retry/", pdf_retry, name="pdf-retry"),
]
