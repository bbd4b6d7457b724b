"""THE access matrix: every page and every API route x method, and the rule of the policy
module that decides who may use it.

A rule answers "may this user do this on this project?" by asking projects/policy.py:
either a capability (`cap`, allowed iff policy.can) or a named object rule that calls a
policy helper on the records of tests/access/records.py (`rule`). test_matrix_complete
fails for a URL without an entry here, and for an entry whose URL is gone.

Pages: a project page is GET and POST-tested for every role, an outsider (404) and an
anonymous visitor (302 to the login page). `Page(gate)` is the capability the page's
`project_view` declares: it decides GET (and POST, unless `post` says otherwise); `get`
overrides GET when the view checks an object rule on top of the gate. A method the view
does not accept answers 405 to an allowed member, which counts as allowed.

API: one entry per (URL name, method). `Api(rule)`; `outsider` says what a stranger to
the project gets: 404 (a record or a project by its code), "empty" (a list answers 200
without the project's rows) or 400 (the project, or the record, named in the body is
unknown to them, with the same answer as a project that does not exist).
"""

from collections.abc import Callable
from dataclasses import dataclass

from projects import policy
from projects.policy import Capability as C


@dataclass(frozen=True)
class Rule:
    label: str
    check: Callable  # (user, records) -> bool

    def allows(self, user, records) -> bool:
        return bool(self.check(user, records))

    def __str__(self) -> str:
        return self.label


def cap(capability: C) -> Rule:
    rule = Rule(f"can {capability}", lambda user, r: policy.can(user, r.project, capability))
    object.__setattr__(rule, "capability", capability)
    return rule


def rule(label: str, check: Callable) -> Rule:
    return Rule(label, check)


def either(*capabilities: C) -> Rule:
    names = " or ".join(str(c) for c in capabilities)
    return rule(
        f"can {names}",
        lambda user, r: any(policy.can(user, r.project, c) for c in capabilities),
    )


# --- Named object rules (each one calls the policy module, or the service rule the view
# asks, on the matrix records) ---------------------------------------------------------

TICK_ITEM = rule(
    "can_tick_checklist_item", lambda u, r: policy.can_tick_checklist_item(u, r["item"])
)
UPDATE_ACTION = rule(
    "can_update_action_item", lambda u, r: policy.can_update_action_item(u, r["action"])
)
SIGNATORY = rule("is_signatory_of", lambda u, r: policy.is_signatory_of(u, r["signoff"]))
RECORD_KPI = rule("can_record_measurement", lambda u, r: policy.can_record_measurement(u, r["kpi"]))
SIGN_OFF_LOAD = rule("can_sign_off_load", lambda u, r: policy.can_sign_off_load(u, r["load"]))
RUN_TASK = rule("can_run_cutover_task", lambda u, r: policy.can_run_cutover_task(u, r["task"]))
HANDLE_TICKETS = rule("can_handle_tickets", lambda u, r: policy.can_handle_tickets(u, r.project))
ANSWER_FEEDBACK = rule("can_answer_feedback", lambda u, r: policy.can_answer_feedback(u, r.project))
# Comments and files on tickets: whoever raises tickets, and the support team.
WRITE_TICKETS = rule(
    "can raise_tickets or can_handle_tickets",
    lambda u, r: (
        policy.can(u, r.project, C.RAISE_TICKETS) or policy.can_handle_tickets(u, r.project)
    ),
)
# The reporter moves their ticket too (close or reopen); a new ticket: the support team.
MOVE_TICKET = rule(
    "can_handle_tickets or the ticket's reporter",
    lambda u, r: policy.can_handle_tickets(u, r.project) or r["ticket"].reporter_id == u.pk,
)
# Converting makes a defect: the support team, with the right to log defects.
CONVERT_TICKET = rule(
    "can_handle_tickets and can log_defects",
    lambda u, r: (
        policy.can_handle_tickets(u, r.project) and policy.can(u, r.project, C.LOG_DEFECTS)
    ),
)
# Measurement entry pages open for recorders and for owners of at least one KPI.
RECORD_ANY_KPI = rule(
    "can record_measurements or owns a KPI",
    lambda u, r: (
        policy.can(u, r.project, C.RECORD_MEASUREMENTS)
        or (policy.can_see(u, r.project) and r["kpi"].owner_id == u.pk)
    ),
)


def _may_edit_defect(user, records) -> bool:
    from uat.services.defects import editable_fields

    return bool(editable_fields(user, records["defect"]))


EDIT_DEFECT = rule(
    "editable_fields (manage_defects, or the reporter of a new defect)", _may_edit_defect
)


def _may_run(user, records) -> bool:
    from uat.services.executions import may_run

    return policy.can(user, records.project, C.RUN_TESTS) and may_run(user, records["entry"])


RUN_ENTRY = rule("can run_tests and is assigned the scenario (may_run)", _may_run)


def _may_set_baseline(user, records) -> bool:
    from kpis.services import may_set_baseline

    return may_set_baseline(user, records["kpi"])


SET_BASELINE = rule(
    "may_set_baseline (manage_kpis; unlock_baseline from go-live)", _may_set_baseline
)

# Removing a mandatory item waives part of the gate: plan editors who may waive it.
DELETE_ITEM = rule(
    "can edit_plan; a mandatory item also waive_gate",
    lambda u, r: (
        policy.can(u, r.project, C.EDIT_PLAN)
        and (not r["item"].is_mandatory or policy.can(u, r.project, C.WAIVE_GATE))
    ),
)

# Projects outside any one project.
AUTHENTICATED = rule("signed in", lambda u, r: True)
CREATE_PROJECT = rule("can_create_project", lambda u, r: policy.can_create_project(u))


# --- Pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    gate: C | None  # what project_view declares; None for pages outside a project
    get: Rule | None = None
    post: Rule | None = None

    def rule_for(self, method: str) -> Rule:
        chosen = self.get if method == "get" else self.post
        return chosen or cap(self.gate)


VIEW = C.VIEW_PROJECT

PAGES: dict[str, Page] = {
    "projects:list": Page(None, get=AUTHENTICATED, post=AUTHENTICATED),
    "projects:create": Page(None, get=CREATE_PROJECT, post=CREATE_PROJECT),
    "projects:detail": Page(VIEW),
    "projects:edit": Page(C.EDIT_PROJECT),
    "projects:team": Page(VIEW),
    "projects:team-coverage": Page(VIEW),
    "projects:member-add": Page(C.MANAGE_TEAM),
    "projects:member-change": Page(C.MANAGE_TEAM),
    "projects:member-remove": Page(C.MANAGE_TEAM),
    "implementation:timeline": Page(VIEW),
    "implementation:phase": Page(VIEW),
    "implementation:phase-progress": Page(VIEW),
    "implementation:phase-edit": Page(C.EDIT_PLAN),
    "implementation:phase-start": Page(C.EDIT_PLAN),
    "implementation:phase-complete": Page(C.EDIT_PLAN),
    "implementation:phase-reopen": Page(C.EDIT_PLAN),
    "implementation:item-add": Page(C.EDIT_PLAN),
    "implementation:item-edit": Page(VIEW, get=TICK_ITEM, post=TICK_ITEM),
    "implementation:item-toggle": Page(VIEW, post=TICK_ITEM),
    "implementation:item-move": Page(C.EDIT_PLAN),
    "implementation:item-delete": Page(C.EDIT_PLAN, post=DELETE_ITEM),
    "implementation:item-evidence": Page(VIEW),
    "implementation:config-list": Page(VIEW),
    "implementation:config-create": Page(C.EDIT_CONFIGURATION_LOG),
    "implementation:config-export-csv": Page(VIEW),
    "implementation:config-export-xlsx": Page(VIEW),
    "implementation:config-detail": Page(VIEW),
    "implementation:meeting-list": Page(VIEW),
    "implementation:agenda": Page(VIEW),
    "implementation:meeting-create": Page(C.MANAGE_REVIEWS),
    "implementation:meeting-detail": Page(VIEW),
    "implementation:meeting-edit": Page(C.MANAGE_REVIEWS),
    "implementation:action-list": Page(VIEW),
    "implementation:action-create": Page(C.MANAGE_REVIEWS),
    "implementation:action-edit": Page(C.MANAGE_REVIEWS),
    "implementation:action-status": Page(VIEW, post=UPDATE_ACTION),
    "implementation:reminder-opt-out": Page(VIEW),
    "implementation:status-reports": Page(VIEW),
    "implementation:status-report-create": Page(VIEW),
    "implementation:status-report-status": Page(VIEW),
    "implementation:status-report-retry": Page(VIEW),
    "implementation:status-report-download": Page(VIEW),
    "uat:scenario-list": Page(VIEW),
    "uat:scenario-create": Page(C.MANAGE_TESTS),
    "uat:scenario-import": Page(C.MANAGE_TESTS),
    "uat:scenario-export-csv": Page(VIEW),
    "uat:scenario-export-xlsx": Page(VIEW),
    "uat:scenario-detail": Page(VIEW),
    "uat:scenario-edit": Page(C.MANAGE_TESTS),
    "uat:cycle-list": Page(VIEW),
    "uat:cycle-create": Page(C.MANAGE_TESTS),
    "uat:cycle-dashboard": Page(VIEW),
    "uat:cycle-edit": Page(C.MANAGE_TESTS),
    "uat:cycle-scope": Page(C.MANAGE_TESTS),
    "uat:run": Page(C.RUN_TESTS, get=RUN_ENTRY, post=RUN_ENTRY),
    "uat:my-tests": Page(VIEW),
    "uat:defect-list": Page(VIEW),
    "uat:defect-create": Page(C.LOG_DEFECTS),
    "uat:defect-bulk": Page(C.MANAGE_DEFECTS),
    "uat:defect-detail": Page(VIEW),
    "uat:defect-edit": Page(VIEW, get=EDIT_DEFECT, post=EDIT_DEFECT),
    "uat:defect-transition": Page(C.LOG_DEFECTS),
    "uat:defect-comment": Page(C.COMMENT),
    "uat:attachment-upload": Page(VIEW, post=either(C.LOG_DEFECTS, C.COMMENT)),
    "uat:attachment-download": Page(VIEW),
    "uat:my-defects": Page(VIEW),
    "kpis:overview": Page(VIEW),
    "kpis:create": Page(C.MANAGE_KPIS),
    "kpis:templates": Page(C.MANAGE_KPIS),
    "kpis:bulk": Page(VIEW, get=RECORD_ANY_KPI, post=RECORD_ANY_KPI),
    "kpis:import": Page(VIEW, get=RECORD_ANY_KPI, post=RECORD_ANY_KPI),
    "kpis:import-sample": Page(VIEW, get=RECORD_ANY_KPI),
    "kpis:reports": Page(VIEW),
    "kpis:report-create": Page(VIEW),
    "kpis:report-status": Page(VIEW),
    "kpis:report-retry": Page(VIEW),
    "kpis:report-download": Page(VIEW),
    "kpis:detail": Page(VIEW),
    "kpis:edit": Page(C.MANAGE_KPIS),
    "kpis:baseline": Page(VIEW, post=SET_BASELINE),
    "kpis:measurement-record": Page(VIEW, post=RECORD_KPI),
    "kpis:measurement-correct": Page(VIEW, post=RECORD_KPI),
    "signoffs:list": Page(VIEW),
    "signoffs:create": Page(C.MANAGE_SIGNOFFS),
    "signoffs:verify": Page(VIEW),
    "signoffs:detail": Page(VIEW),
    "signoffs:edit": Page(C.MANAGE_SIGNOFFS),
    "signoffs:request": Page(C.MANAGE_SIGNOFFS),
    "signoffs:cancel": Page(C.MANAGE_SIGNOFFS),
    "signoffs:sign": Page(C.SIGN, post=SIGNATORY),
    "signoffs:new-round": Page(C.MANAGE_SIGNOFFS),
    "signoffs:pdf": Page(VIEW),
    "signoffs:pdf-status": Page(VIEW),
    "signoffs:pdf-retry": Page(VIEW),
    "golive:readiness": Page(VIEW),
    "golive:plan": Page(C.MANAGE_GO_LIVE),
    "golive:migration": Page(VIEW),
    "golive:migration-object-new": Page(C.MANAGE_MIGRATION),
    "golive:migration-object": Page(VIEW),
    "golive:migration-object-edit": Page(C.MANAGE_MIGRATION),
    "golive:load-new": Page(C.MANAGE_MIGRATION),
    "golive:load-edit": Page(C.MANAGE_MIGRATION),
    "golive:load-sign-off": Page(VIEW, get=SIGN_OFF_LOAD, post=SIGN_OFF_LOAD),
    "golive:cutover": Page(VIEW),
    "golive:cutover-task-new": Page(C.MANAGE_CUTOVER),
    "golive:cutover-task-edit": Page(C.MANAGE_CUTOVER),
    "golive:cutover-task-move": Page(VIEW, post=RUN_TASK),
    "golive:rehearsal-new": Page(C.MANAGE_CUTOVER),
    "golive:run-sheet": Page(VIEW),
    "golive:run-sheet-live": Page(VIEW),
    "golive:communication": Page(VIEW),
    "golive:communication-new": Page(C.MANAGE_TRAINING),
    "golive:communication-edit": Page(C.MANAGE_TRAINING),
    "golive:training": Page(VIEW),
    "golive:end-users": Page(VIEW, post=cap(C.MANAGE_TRAINING)),
    "golive:end-users-import": Page(C.MANAGE_TRAINING),
    "golive:end-user-edit": Page(C.MANAGE_TRAINING),
    "golive:session-new": Page(C.MANAGE_TRAINING),
    "golive:session": Page(VIEW),
    "golive:session-edit": Page(C.MANAGE_TRAINING),
    "golive:session-invite": Page(C.MANAGE_TRAINING),
    "golive:session-attendance": Page(C.MANAGE_TRAINING),
    "golive:session-uninvite": Page(C.MANAGE_TRAINING),
    "hypercare:tickets": Page(VIEW),
    "hypercare:ticket-new": Page(C.RAISE_TICKETS),
    "hypercare:ticket": Page(VIEW),
    "hypercare:ticket-transition": Page(VIEW, post=MOVE_TICKET),
    "hypercare:ticket-edit": Page(VIEW, get=HANDLE_TICKETS, post=HANDLE_TICKETS),
    "hypercare:ticket-comment": Page(VIEW, post=WRITE_TICKETS),
    "hypercare:ticket-attach": Page(VIEW, post=WRITE_TICKETS),
    "hypercare:ticket-attachment": Page(VIEW),
    "hypercare:ticket-convert": Page(VIEW, post=CONVERT_TICKET),
    "hypercare:ticket-link-change": Page(VIEW, post=HANDLE_TICKETS),
    "hypercare:board": Page(VIEW),
    "hypercare:board-live": Page(VIEW),
    "hypercare:overview": Page(VIEW),
    "hypercare:settings": Page(C.MANAGE_HYPERCARE),
    "hypercare:feedback": Page(VIEW, post=ANSWER_FEEDBACK),
    "hypercare:feedback-results": Page(VIEW),
    "hypercare:modules": Page(VIEW, post=cap(C.MANAGE_HYPERCARE)),
}


# --- URLs outside the projects, with what everyone gets -----------------------------------


@dataclass(frozen=True)
class Public:
    """What a GET answers to an anonymous visitor and to any signed-in user."""

    anonymous: int | str  # a status, or "login" (302 to the login page)
    signed_in: int
    why: str


PUBLIC: dict[str, Public] = {
    "home": Public(302, 302, "the landing page sends to the login or the project list"),
    "healthz": Public(200, 200, "the health check, for the load balancer"),
    "login": Public(200, 200, "the login form"),
    "logout": Public(405, 405, "signing out is a POST"),
    "password_change": Public("login", 200, "Django's login_required"),
    "password_change_done": Public("login", 200, "Django's login_required"),
    "password_reset": Public(200, 200, "anyone may ask for a reset link"),
    "password_reset_done": Public(200, 200, "the confirmation page"),
    "password_reset_confirm": Public(200, 200, "the link in the e-mail (checks its token)"),
    "password_reset_complete": Public(200, 200, "the confirmation page"),
    "set_language": Public(302, 302, "choosing a language, then back"),
    "api:api-root": Public(401, 200, "the API's default permission: signed in"),
    "api:token": Public(405, 405, "POST a username and password for a token"),
    "schema": Public(200, 200, "the API's description holds no data"),
    "api-docs": Public(200, 200, "the API's documentation holds no data"),
}
ADMIN_NAMESPACE = "admin"  # every admin URL: staff only, the rest go to the admin login


# --- API ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Api:
    rule: Rule
    outsider: int | str = 404  # 404, "empty" (a list without the project's rows) or 400


def read(outsider: int | str = 404) -> Api:
    return Api(cap(VIEW), outsider)


LIST = read("empty")


def create(rule: Rule | C) -> Api:
    """POST to a list: the project (or the record) is named in the body."""
    return Api(rule if isinstance(rule, Rule) else cap(rule), 400)


def write(rule: Rule | C) -> Api:
    return Api(rule if isinstance(rule, Rule) else cap(rule), 404)


API: dict[tuple[str, str], Api] = {
    ("api:project-list", "get"): LIST,
    ("api:project-list", "post"): Api(CREATE_PROJECT, 403),
    ("api:project-detail", "get"): read(),
    ("api:project-detail", "patch"): write(C.EDIT_PROJECT),
    ("api:membership-list", "get"): LIST,
    ("api:membership-list", "post"): create(C.MANAGE_TEAM),
    ("api:membership-detail", "get"): read(),
    ("api:membership-detail", "patch"): write(C.MANAGE_TEAM),
    ("api:membership-detail", "delete"): write(C.MANAGE_TEAM),
    ("api:phase-list", "get"): LIST,
    ("api:phase-detail", "get"): read(),
    ("api:phase-detail", "patch"): write(C.EDIT_PLAN),
    ("api:phase-complete", "post"): write(C.EDIT_PLAN),
    ("api:phase-history", "get"): read(),
    ("api:phase-reopen", "post"): write(C.EDIT_PLAN),
    ("api:phase-start", "post"): write(C.EDIT_PLAN),
    ("api:checklist-item-list", "get"): LIST,
    ("api:checklist-item-list", "post"): create(C.EDIT_PLAN),
    ("api:checklist-item-detail", "get"): read(),
    ("api:checklist-item-detail", "patch"): write(TICK_ITEM),
    ("api:checklist-item-detail", "delete"): write(DELETE_ITEM),
    ("api:checklist-item-move", "post"): write(C.EDIT_PLAN),
    ("api:checklist-item-tick", "post"): write(TICK_ITEM),
    ("api:checklist-item-untick", "post"): write(TICK_ITEM),
    ("api:configuration-change-list", "get"): LIST,
    ("api:configuration-change-list", "post"): create(C.EDIT_CONFIGURATION_LOG),
    ("api:configuration-change-detail", "get"): read(),
    ("api:review-meeting-list", "get"): LIST,
    ("api:review-meeting-list", "post"): create(C.MANAGE_REVIEWS),
    ("api:review-meeting-detail", "get"): read(),
    ("api:review-meeting-detail", "patch"): write(C.MANAGE_REVIEWS),
    ("api:action-item-list", "get"): LIST,
    ("api:action-item-list", "post"): create(C.MANAGE_REVIEWS),
    ("api:action-item-detail", "get"): read(),
    ("api:action-item-detail", "patch"): write(UPDATE_ACTION),
    ("api:agenda-detail", "get"): read(),
    ("api:migration-object-list", "get"): LIST,
    ("api:migration-object-list", "post"): create(C.MANAGE_MIGRATION),
    ("api:migration-object-detail", "get"): read(),
    ("api:migration-object-detail", "patch"): write(C.MANAGE_MIGRATION),
    ("api:migration-load-list", "get"): LIST,
    ("api:migration-load-list", "post"): create(C.MANAGE_MIGRATION),
    ("api:migration-load-detail", "get"): read(),
    ("api:migration-load-detail", "patch"): write(C.MANAGE_MIGRATION),
    ("api:migration-load-sign-off", "post"): write(SIGN_OFF_LOAD),
    ("api:cutover-task-list", "get"): LIST,
    ("api:cutover-task-list", "post"): create(C.MANAGE_CUTOVER),
    ("api:cutover-task-detail", "get"): read(),
    ("api:cutover-task-detail", "patch"): write(C.MANAGE_CUTOVER),
    ("api:cutover-task-move", "post"): write(RUN_TASK),
    ("api:cutover-rehearsal-list", "get"): LIST,
    ("api:cutover-rehearsal-list", "post"): create(C.MANAGE_CUTOVER),
    ("api:cutover-rehearsal-detail", "get"): read(),
    ("api:communication-activity-list", "get"): LIST,
    ("api:communication-activity-list", "post"): create(C.MANAGE_TRAINING),
    ("api:communication-activity-detail", "get"): read(),
    ("api:communication-activity-detail", "patch"): write(C.MANAGE_TRAINING),
    ("api:end-user-list", "get"): LIST,
    ("api:end-user-list", "post"): create(C.MANAGE_TRAINING),
    ("api:end-user-import", "post"): create(C.MANAGE_TRAINING),
    ("api:end-user-detail", "get"): read(),
    ("api:end-user-detail", "patch"): write(C.MANAGE_TRAINING),
    ("api:training-session-list", "get"): LIST,
    ("api:training-session-list", "post"): create(C.MANAGE_TRAINING),
    ("api:training-session-detail", "get"): read(),
    ("api:training-session-detail", "patch"): write(C.MANAGE_TRAINING),
    ("api:training-session-attendance", "post"): write(C.MANAGE_TRAINING),
    ("api:training-session-invite", "post"): write(C.MANAGE_TRAINING),
    ("api:training-session-uninvite", "post"): write(C.MANAGE_TRAINING),
    ("api:readiness-detail", "get"): read(),
    ("api:go-live-plan-detail", "get"): read(),
    ("api:go-live-plan-detail", "patch"): write(C.MANAGE_GO_LIVE),
    ("api:ticket-list", "get"): LIST,
    ("api:ticket-list", "post"): create(C.RAISE_TICKETS),
    ("api:ticket-detail", "get"): read(),
    ("api:ticket-detail", "patch"): write(HANDLE_TICKETS),
    ("api:ticket-attachments", "get"): read(),
    ("api:ticket-attachments", "post"): write(WRITE_TICKETS),
    ("api:ticket-comments", "get"): read(),
    ("api:ticket-comments", "post"): write(WRITE_TICKETS),
    ("api:ticket-convert-to-defect", "post"): write(CONVERT_TICKET),
    ("api:ticket-history", "get"): read(),
    ("api:ticket-link-change", "post"): write(HANDLE_TICKETS),
    ("api:ticket-transition", "post"): write(MOVE_TICKET),
    ("api:ticket-board-detail", "get"): read(),
    ("api:hypercare-detail", "get"): read(),
    ("api:hypercare-detail", "patch"): write(C.MANAGE_HYPERCARE),
    ("api:sla-target-list", "get"): LIST,
    ("api:sla-target-list", "post"): create(C.MANAGE_HYPERCARE),
    ("api:feedback-list", "get"): LIST,
    ("api:feedback-list", "post"): create(ANSWER_FEEDBACK),
    ("api:module-review-list", "get"): LIST,
    ("api:module-review-list", "post"): create(C.MANAGE_HYPERCARE),
    ("api:test-scenario-list", "get"): LIST,
    ("api:test-scenario-list", "post"): create(C.MANAGE_TESTS),
    ("api:test-scenario-detail", "get"): read(),
    ("api:test-scenario-detail", "patch"): write(C.MANAGE_TESTS),
    ("api:test-cycle-list", "get"): LIST,
    ("api:test-cycle-list", "post"): create(C.MANAGE_TESTS),
    ("api:test-cycle-detail", "get"): read(),
    ("api:test-cycle-detail", "patch"): write(C.MANAGE_TESTS),
    ("api:test-execution-list", "get"): LIST,
    ("api:test-execution-list", "post"): create(RUN_ENTRY),
    ("api:test-execution-detail", "get"): read(),
    ("api:defect-list", "get"): LIST,
    ("api:defect-list", "post"): create(C.LOG_DEFECTS),
    ("api:defect-detail", "get"): read(),
    ("api:defect-detail", "patch"): write(EDIT_DEFECT),
    ("api:defect-transition", "post"): write(either(C.MANAGE_DEFECTS, C.RETEST)),
    ("api:defect-comment-list", "get"): LIST,
    ("api:defect-comment-list", "post"): write(C.COMMENT),
    ("api:attachment-list", "get"): LIST,
    ("api:attachment-list", "post"): write(either(C.LOG_DEFECTS, C.COMMENT)),
    ("api:attachment-detail", "get"): read(),
    ("api:sign-off-list", "get"): LIST,
    ("api:sign-off-list", "post"): create(C.MANAGE_SIGNOFFS),
    ("api:sign-off-chain", "get"): read(),
    ("api:sign-off-verify", "post"): read(),
    ("api:sign-off-detail", "get"): read(),
    ("api:sign-off-detail", "patch"): write(C.MANAGE_SIGNOFFS),
    ("api:sign-off-cancel", "post"): write(C.MANAGE_SIGNOFFS),
    ("api:sign-off-new-round", "post"): write(C.MANAGE_SIGNOFFS),
    ("api:sign-off-pdf", "get"): read(),
    ("api:sign-off-pdf-retry", "post"): read(),
    ("api:sign-off-request", "post"): write(C.MANAGE_SIGNOFFS),
    ("api:sign-off-sign", "post"): write(SIGNATORY),
    ("api:kpi-list", "get"): LIST,
    ("api:kpi-list", "post"): create(C.MANAGE_KPIS),
    ("api:kpi-add-from-templates", "post"): create(C.MANAGE_KPIS),
    ("api:kpi-templates", "get"): LIST,
    ("api:kpi-detail", "get"): read(),
    ("api:kpi-detail", "patch"): write(C.MANAGE_KPIS),
    ("api:kpi-baseline", "post"): write(SET_BASELINE),
    ("api:kpi-history", "get"): read(),
    ("api:kpi-measurement-list", "get"): LIST,
    ("api:kpi-measurement-list", "post"): create(RECORD_KPI),
    ("api:kpi-measurement-bulk", "post"): create(RECORD_ANY_KPI),
    ("api:kpi-measurement-import", "post"): create(RECORD_ANY_KPI),
    ("api:kpi-measurement-detail", "get"): read(),
    ("api:kpi-measurement-correct", "post"): write(RECORD_KPI),
}
