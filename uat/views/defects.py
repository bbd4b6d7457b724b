"""Defect pages: doors onto uat.selectors.defects and uat.services.defects.

Lists and the detail page read through the selectors (invisible defects are 404); every
write goes through a service, which checks the role. The detail page offers exactly the
moves `services.allowed_transitions` allows, the same rule the service enforces.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from projects import policy
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.web import PAGE_SIZE, UNPROCESSABLE, apply_error, is_partial, query_without_page
from uat import attachments
from uat.choices import DefectStatus
from uat.defect_filters import DefectFilter
from uat.defect_forms import (
    AttachmentForm,
    BulkForm,
    CommentForm,
    DefectEditForm,
    DefectQuickForm,
    DefectTransitionForm,
)
from uat.selectors import defects as selectors
from uat.services import defects as services

DEFECTS_CHANGED = "defectsChanged"
# Moves that ask for more than a click: the page opens a small form for them.
NEEDS_INPUT = {
    DefectStatus.REJECTED,
    DefectStatus.REOPENED,
    DefectStatus.DUPLICATE,
    DefectStatus.DEFERRED,
}


def _detail_url(project, defect) -> str:
    return reverse("uat:defect-detail", args=[project.code, defect.number])


def _list_url(project) -> str:
    return reverse("uat:defect-list", args=[project.code])


def _errors_as_messages(request, error) -> None:
    if isinstance(error, ApplicationError):
        messages.error(request, error.message)
    elif hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            for text in texts:
                messages.error(request, text if field == "__all__" else f"{field}: {text}")
    else:
        for text in error.messages:
            messages.error(request, text)


def _form_messages(form) -> list[str]:
    return [
        text if field == "__all__" else f"{form[field].label}: {text}"
        for field, texts in form.errors.items()
        for text in texts
    ]


# --- List ---------------------------------------------------------------------------------


class KeysFirstPaginator(Paginator):
    """Pages of the defect list that stay cheap deep down: a page's keys are found first,
    on the index alone (OFFSET then skips index entries, not rows joined to their people and
    cycle), then only those 25 rows are loaded with what the list shows. The count is given
    (the severity x status table already counted the rows), so there is no COUNT query."""

    def __init__(self, object_list, per_page, *, count: int, project):
        super().__init__(object_list, per_page)
        self.count = count
        self.project = project

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        # The numbers, not the primary keys: the (project, number) key and the indexes ending
        # in the number hold them, so PostgreSQL skips on the index without visiting rows.
        numbers = self.object_list.values("number")[bottom:top]
        defects = selectors.defects_by_numbers(numbers, project=self.project)
        return self._get_page(defects, number, self)


def _list_context(request, project):
    members = list(selectors.project_members(project=project))
    cycles = list(selectors.project_cycles(project=project))
    defect_filter = DefectFilter(
        request.GET,
        queryset=selectors.defect_list(user=request.user, project=project),
        project=project,
        members=members,
        cycles=cycles,
    )
    can_manage = policy.can(request.user, project, Capability.MANAGE_DEFECTS)
    queryset = defect_filter.qs
    counts = selectors.defect_counts(queryset)
    paginator = KeysFirstPaginator(queryset, PAGE_SIZE, count=counts["total"], project=project)
    return {
        "project": project,
        # A row links to its detail page, defects/<number>/ under this URL: one reverse()
        # for the page rather than two for each of its rows.
        "defects_url": _list_url(project),
        "filter": defect_filter,
        "page": paginator.get_page(request.GET.get("page")),
        "counts": counts,
        "query": query_without_page(request),
        "can_manage": can_manage,
        "can_log": policy.can(request.user, project, Capability.LOG_DEFECTS),
        "members": members,
        "statuses": DefectStatus.choices,
    }


@project_view(Capability.VIEW_PROJECT)
@require_GET
def defect_list(request, project):
    """Defects, filtered, 25 a page, with a severity x status count table."""
    context = _list_context(request, project)
    template = "uat/defects/list.html#results" if is_partial(request) else "uat/defects/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@project_view(Capability.MANAGE_DEFECTS)
@require_POST
def defect_bulk(request, project):
    """Assign or move the ticked defects; all of them or none."""
    form = BulkForm(request.POST, members=selectors.project_members(project=project))
    if form.is_valid():
        data = form.cleaned_data
        defects = list(
            selectors.defect_list(user=request.user, project=project).filter(
                number__in=data["defects"]
            )
        )
        for defect in defects:
            defect.project = project
        try:
            if len(defects) != len(set(data["defects"])):
                raise ValidationError({"defects": _("Some of these defects do not exist.")})
            if data["action"] == BulkForm.ASSIGN:
                services.defects_bulk_assign(
                    actor=request.user, project=project, defects=defects, assignee=data["assignee"]
                )
            else:
                services.defects_bulk_transition(
                    actor=request.user,
                    project=project,
                    defects=defects,
                    to_status=data["to_status"],
                    comment=data["comment"],
                )
        except (ApplicationError, ValidationError) as error:
            _errors_as_messages(request, error)
        else:
            messages.success(
                request,
                ngettext("%(count)s defect updated.", "%(count)s defects updated.", len(defects))
                % {"count": len(defects)},
            )
    else:
        for text in _form_messages(form):
            messages.error(request, text)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = _list_url(project)
    return redirect(next_url)


# --- Report, read, edit -------------------------------------------------------------------


@project_view(Capability.LOG_DEFECTS)
@require_http_methods(["GET", "POST"])
def defect_create(request, project):
    """The quick report: title, severity, what happened, what was expected, a screenshot."""
    form = DefectQuickForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            defect = services.defect_report_with_screenshot(
                actor=request.user,
                project=project,
                title=data["title"],
                severity=data["severity"],
                actual_result=data["actual_result"],
                expected_result=data["expected_result"],
                screenshot=data["screenshot"],
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(
                request, _("%(defect)s reported. Thank you!") % {"defect": defect.display_number}
            )
            return redirect(_detail_url(project, defect))
    status = UNPROCESSABLE if form.is_bound else 200
    return render(
        request, "uat/defects/create.html", {"project": project, "form": form}, status=status
    )


def _transition_forms(request, project, defect, bound=None):
    """One small form per move this user may make now."""
    candidates = selectors.duplicate_candidates(defect=defect)
    forms = []
    for target in services.allowed_transitions(request.user, defect):
        if bound is not None and bound.data.get("to_status") == target:
            form = bound
        else:
            form = DefectTransitionForm(
                initial={"to_status": target}, candidates=candidates, auto_id=f"id_{target}_%s"
            )
        forms.append(
            {
                "status": target,
                "label": DefectStatus(target).label,
                "needs_input": target in NEEDS_INPUT or form.errors,
                "form": form,
            }
        )
    return forms


def _history(defect):
    events = selectors.defect_history(defect=defect)
    for event in events:
        # Edits store [old, new]; transitions store the value they set.
        event.change_rows = [
            {"field": field, "is_edit": True, "old": value[0], "new": value[1]}
            if isinstance(value, list) and len(value) == 2
            else {"field": field, "is_edit": False, "new": value}
            for field, value in (event.changes or {}).items()
        ]
    return events


def _detail_context(request, project, defect, **extra):
    context = {
        "project": project,
        "defect": defect,
        "transitions": _transition_forms(request, project, defect, extra.pop("bound", None)),
        "can_edit": bool(services.editable_fields(request.user, defect)),
        "can_comment": policy.can(request.user, project, Capability.COMMENT),
        "can_attach": policy.can(request.user, project, Capability.LOG_DEFECTS)
        or policy.can(request.user, project, Capability.COMMENT),
        "comments": selectors.defect_comments(defect=defect),
        "attachments": selectors.defect_attachments(defect=defect),
        "events": _history(defect),
        "comment_form": CommentForm(),
        "attachment_form": AttachmentForm(),
        "DEFERRED": DefectStatus.DEFERRED,
        "DUPLICATE": DefectStatus.DUPLICATE,
    }
    context.update(extra)
    return context


@project_view(Capability.VIEW_PROJECT)
@require_GET
def defect_detail(request, project, number):
    defect = selectors.defect_get(user=request.user, project=project, number=number)
    return render(request, "uat/defects/detail.html", _detail_context(request, project, defect))


@project_view(Capability.VIEW_PROJECT)
@require_http_methods(["GET", "POST"])
def defect_edit(request, project, number):
    """Managers edit every field; the reporter rewords a new defect."""
    defect = selectors.defect_get(user=request.user, project=project, number=number)
    allowed = services.editable_fields(request.user, defect)
    if not allowed:
        raise PermissionDenied(_("You may not edit this defect."))
    form = DefectEditForm(
        request.POST or None,
        instance=defect,
        members=selectors.project_members(project=project),
        cycles=selectors.project_cycles(project=project),
        allowed_fields=allowed,
    )
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        # The form wrote into the instance; the service compares against the stored row.
        defect = selectors.defect_get(user=request.user, project=project, number=number)
        try:
            services.defect_update(actor=request.user, defect=defect, **changes)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Defect saved."))
            return redirect(_detail_url(project, defect))
    status = UNPROCESSABLE if form.is_bound else 200
    return render(
        request,
        "uat/defects/edit.html",
        {"project": project, "defect": defect, "form": form},
        status=status,
    )


@project_view(Capability.LOG_DEFECTS)
@require_POST
def defect_transition(request, project, number):
    """Move a defect; the rules are the service's, refusals come back on the page."""
    defect = selectors.defect_get(user=request.user, project=project, number=number)
    target = request.POST.get("to_status", "")
    target = target if target in DefectStatus.values else "move"
    form = DefectTransitionForm(
        request.POST,
        candidates=selectors.duplicate_candidates(defect=defect),
        auto_id=f"id_{target}_%s",
    )
    if form.is_valid():
        try:
            services.defect_transition(actor=request.user, defect=defect, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
    if form.errors:
        if target not in services.allowed_transitions(request.user, defect):
            # No form on the page to carry the errors (a hand-made request): say it on top.
            _errors_as_messages(request, ValidationError(_form_messages(form)))
        defect = selectors.defect_get(user=request.user, project=project, number=number)
        context = _detail_context(request, project, defect, bound=form)
        return render(request, "uat/defects/detail.html", context, status=UNPROCESSABLE)
    data = form.cleaned_data
    messages.success(
        request,
        _("%(defect)s is now %(status)s.")
        % {"defect": defect.display_number, "status": DefectStatus(data["to_status"]).label},
    )
    return redirect(_detail_url(project, defect))


# --- Comments and attachments -------------------------------------------------------------


def _section(request, project, defect, partial, status=200, **extra):
    context = _detail_context(request, project, defect, **extra)
    response = render(request, f"uat/defects/detail.html#{partial}", context, status=status)
    if status == 200:
        trigger_client_event(response, DEFECTS_CHANGED)
    return response


@project_view(Capability.COMMENT)
@require_POST
def defect_comment(request, project, number):
    defect = selectors.defect_get(user=request.user, project=project, number=number)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.defect_comment_add(
                actor=request.user, defect=defect, body=form.cleaned_data["body"]
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            if is_partial(request):
                return _section(request, project, defect, "comments")
            messages.success(request, _("Comment added."))
            return redirect(_detail_url(project, defect))
    if is_partial(request):
        return _section(request, project, defect, "comments", UNPROCESSABLE, comment_form=form)
    context = _detail_context(request, project, defect, comment_form=form)
    return render(request, "uat/defects/detail.html", context, status=UNPROCESSABLE)


@project_view(Capability.VIEW_PROJECT)
@require_POST
def attachment_upload(request, project, number):
    defect = selectors.defect_get(user=request.user, project=project, number=number)
    attachments.ensure_may_attach(request.user, project)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachments.attachment_add(
                actor=request.user, project=project, upload=form.cleaned_data["file"], defect=defect
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            if is_partial(request):
                return _section(request, project, defect, "attachments")
            messages.success(request, _("File attached."))
            return redirect(_detail_url(project, defect))
    if is_partial(request):
        return _section(
            request, project, defect, "attachments", UNPROCESSABLE, attachment_form=form
        )
    context = _detail_context(request, project, defect, attachment_form=form)
    return render(request, "uat/defects/detail.html", context, status=UNPROCESSABLE)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def attachment_download(request, project, pk):
    """Served through the policy, only to members of the attachment's own project."""
    attachment = selectors.attachment_get(user=request.user, pk=pk, project=project)
    return attachments.attachment_response(attachment)


# --- Mine ---------------------------------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@require_GET
def my_defects(request, project):
    """What is on my plate: reported by me, assigned to me, awaiting my re-test."""
    context = {"project": project, **selectors.my_defects(user=request.user, project=project)}
    context["can_retest"] = policy.can(request.user, project, Capability.RETEST)
    return render(request, "uat/defects/mine.html", context)


urlpatterns = [
    path("defects/", defect_list, name="defect-list"),
    path("defects/new/", defect_create, name="defect-create"),
    path("defects/bulk/", defect_bulk, name="defect-bulk"),
    path("defects/<int:number>/", defect_detail, name="defect-detail"),
    path("defects/<int:number>/edit/", defect_edit, name="defect-edit"),
    path("defects/<int:number>/transition/", defect_transition, name="defect-transition"),
    path("defects/<int:number>/comments/", defect_comment, name="defect-comment"),
    path("defects/<int:number>/attachments/", attachment_upload, name="attachment-upload"),
    path("attachments/<int:pk>/", attachment_download, name="attachment-download"),
    path("my-defects/", my_defects, name="my-defects"),
]
