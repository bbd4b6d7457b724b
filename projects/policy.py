"""The one policy module: who may see and do what in a project.

Membership (user, project, role) drives everything. Visibility: a user sees only the
projects they belong to (superusers see all); everything else answers 404, so a project's
existence does not leak. Capability: each role holds a fixed set of capabilities, listed in
ROLE_CAPABILITIES below. Pages, the API, services, tasks and admin all ask this module.

Every view declares its policy (see `declare`, `project_view`); a test walks the URL
configuration and fails for any view without one.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from projects.choices import Role


class Capability(StrEnum):
    VIEW_PROJECT = "view_project"
    EDIT_PROJECT = "edit_project"
    MANAGE_TEAM = "manage_team"
    EDIT_PLAN = "edit_plan"  # phases and checklists
    WAIVE_GATE = "waive_gate"  # complete a phase with open mandatory items, with a reason
    EDIT_CONFIGURATION_LOG = "edit_configuration_log"
    MANAGE_REVIEWS = "manage_reviews"  # weekly review meetings and their action items
    MANAGE_DEFECTS = "manage_defects"  # triage, assign, fix
    RUN_TESTS = "run_tests"
    MANAGE_TESTS = "manage_tests"  # write scenarios, plan test cycles, assign pilot users
    LOG_DEFECTS = "log_defects"
    RETEST = "retest"  # close or reopen a fixed defect after re-testing it
    COMMENT = "comment"
    SIGN = "sign"  # may be named a signatory; only the named signatories of a sign-off sign it
    MANAGE_SIGNOFFS = "manage_signoffs"  # prepare, request and cancel sign-offs
    OVERRIDE_SIGNOFF = "override_signoff"  # request a sign-off while exit criteria fail
    MANAGE_KPIS = "manage_kpis"  # define KPIs, baselines and targets before go-live
    RECORD_MEASUREMENTS = "record_measurements"  # any KPI's values (owners record their own)
    UNLOCK_BASELINE = "unlock_baseline"  # change a baseline from go-live on, with a reason
    MANAGE_MIGRATION = "manage_migration"  # data objects and their loads (owners sign loads off)
    MANAGE_CUTOVER = "manage_cutover"  # the cutover plan, rehearsals; run any task
    MANAGE_TRAINING = "manage_training"  # communication plan, end users, training sessions
    MANAGE_GO_LIVE = "manage_go_live"  # readiness thresholds, freeze, rollback, support plan
    RAISE_TICKETS = "raise_tickets"  # raise support tickets after go-live and comment on them
    HANDLE_TICKETS = "handle_tickets"  # the support team: acknowledge, work on, resolve
    MANAGE_HYPERCARE = "manage_hypercare"  # SLA targets, working hours, exit, module reviews


_ALL = frozenset(Capability)
_BUILDERS = frozenset(
    {
        Capability.VIEW_PROJECT,
        Capability.EDIT_PLAN,
        Capability.EDIT_CONFIGURATION_LOG,
        Capability.MANAGE_DEFECTS,
        Capability.LOG_DEFECTS,
        Capability.COMMENT,
        Capability.SIGN,
        Capability.MANAGE_MIGRATION,
        Capability.MANAGE_CUTOVER,
        Capability.RAISE_TICKETS,
        Capability.HANDLE_TICKETS,
    }
)
_TESTERS = frozenset(
    {
        Capability.VIEW_PROJECT,
        Capability.RUN_TESTS,
        Capability.LOG_DEFECTS,
        Capability.COMMENT,
        Capability.RETEST,
        Capability.SIGN,
        Capability.RAISE_TICKETS,
    }
)

ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    # The project manager manages everything in the project, but the business re-tests.
    Role.PROJECT_MANAGER: _ALL - {Capability.RETEST},
    # Consultants and IT build: plans, checklists, the configuration log and defects.
    Role.CONSULTANT: _BUILDERS
    | {
        Capability.MANAGE_REVIEWS,
        Capability.MANAGE_TESTS,
        Capability.MANAGE_SIGNOFFS,
        Capability.MANAGE_KPIS,
        Capability.RECORD_MEASUREMENTS,
        Capability.MANAGE_TRAINING,
        Capability.MANAGE_HYPERCARE,
    },
    Role.IT: _BUILDERS,
    # Business users test, log defects and comment; key users also write the scenarios.
    # Key users also coach colleagues: they run training and the communication plan.
    Role.KEY_USER: _TESTERS
    | {Capability.MANAGE_TESTS, Capability.RECORD_MEASUREMENTS, Capability.MANAGE_TRAINING},
    Role.PILOT_USER: _TESTERS,
    # Executives read everything and sign.
    Role.EXECUTIVE: frozenset({Capability.VIEW_PROJECT, Capability.SIGN, Capability.RAISE_TICKETS}),
    Role.VIEWER: frozenset({Capability.VIEW_PROJECT}),
}

CAPABILITY_LABELS = {
    Capability.VIEW_PROJECT: _("see the project"),
    Capability.EDIT_PROJECT: _("edit the project"),
    Capability.MANAGE_TEAM: _("manage the team"),
    Capability.EDIT_PLAN: _("edit phases and checklists"),
    Capability.WAIVE_GATE: _("waive a phase gate"),
    Capability.EDIT_CONFIGURATION_LOG: _("write to the configuration log"),
    Capability.MANAGE_REVIEWS: _("run review meetings"),
    Capability.MANAGE_DEFECTS: _("triage and fix defects"),
    Capability.RUN_TESTS: _("run UAT scenarios"),
    Capability.MANAGE_TESTS: _("manage UAT scenarios and cycles"),
    Capability.LOG_DEFECTS: _("log defects"),
    Capability.RETEST: _("re-test a fixed defect"),
    Capability.COMMENT: _("comment"),
    Capability.SIGN: _("sign off"),
    Capability.MANAGE_SIGNOFFS: _("prepare and request sign-offs"),
    Capability.OVERRIDE_SIGNOFF: _("request a sign-off while exit criteria fail"),
    Capability.MANAGE_KPIS: _("define KPIs"),
    Capability.RECORD_MEASUREMENTS: _("record KPI measurements"),
    Capability.UNLOCK_BASELINE: _("change a KPI baseline after go-live"),
    Capability.MANAGE_MIGRATION: _("manage data migration"),
    Capability.MANAGE_CUTOVER: _("manage the cutover plan"),
    Capability.MANAGE_TRAINING: _("manage training and communication"),
    Capability.MANAGE_GO_LIVE: _("manage the go-live plan"),
    Capability.RAISE_TICKETS: _("raise support tickets"),
    Capability.HANDLE_TICKETS: _("handle support tickets"),
    Capability.MANAGE_HYPERCARE: _("manage hypercare"),
}

_ROLE_CACHE = "_policy_roles"


def remember_role(project, user, role: str | None) -> None:
    """Let a selector that already fetched the user's role spare the policy a query."""
    project.__dict__.setdefault(_ROLE_CACHE, {})[user.pk] = role


def role_in(user, project) -> Role | None:
    """The user's role on the project, or None for an outsider."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    cache = project.__dict__.setdefault(_ROLE_CACHE, {})
    if user.pk not in cache:
        cache[user.pk] = (
            project.memberships.filter(user=user).values_list("role", flat=True).first()
        )
    role = cache[user.pk]
    return Role(role) if role else None


def capabilities(user, project) -> frozenset[Capability]:
    if getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser:
        return _ALL
    role = role_in(user, project)
    return ROLE_CAPABILITIES[role] if role else frozenset()


def can(user, project, capability: Capability) -> bool:
    return capability in capabilities(user, project)


def can_see(user, project) -> bool:
    return can(user, project, Capability.VIEW_PROJECT)


def ensure(user, project, capability: Capability) -> None:
    """Raise PermissionDenied (403) when a member lacks the capability.

    Callers fetch the project through a selector first, so outsiders never get this far:
    they have had their 404 already.
    """
    if not can(user, project, capability):
        raise PermissionDenied(
            _("Your role on this project does not allow you to %(action)s.")
            % {"action": CAPABILITY_LABELS[capability]}
        )


def can_tick_checklist_item(user, item) -> bool:
    """Plan editors tick any item; an item's owner ticks their own."""
    project = item.phase.project
    return can(user, project, Capability.EDIT_PLAN) or (
        can_see(user, project) and item.owner_id is not None and item.owner_id == user.pk
    )


def can_update_action_item(user, item) -> bool:
    """Review runners update any action item; its owner updates the status of their own."""
    project = item.project
    return can(user, project, Capability.MANAGE_REVIEWS) or (
        can_see(user, project) and item.owner_id == user.pk
    )


def is_signatory_of(user, signoff) -> bool:
    """Only the people named on a sign-off sign it, and only while they are on the team."""
    return can(user, signoff.project, Capability.SIGN) and any(
        signatory.user_id == user.pk for signatory in signoff.signatories.all()
    )


def can_record_measurement(user, kpi) -> bool:
    """Measurement recorders record any KPI; a KPI's owner records their own."""
    project = kpi.project
    return can(user, project, Capability.RECORD_MEASUREMENTS) or (
        can_see(user, project) and kpi.owner_id == user.pk
    )


def can_sign_off_load(user, load) -> bool:
    """Only the data owner of a migration object signs its loads off, while on the team."""
    return can_see(user, load.project) and load.migration_object.owner_id == user.pk


def can_run_cutover_task(user, task) -> bool:
    """Cutover managers move any task on the run-sheet; a task's owner moves their own."""
    project = task.project
    return can(user, project, Capability.MANAGE_CUTOVER) or (
        can_see(user, project) and task.owner_id is not None and task.owner_id == user.pk
    )


def can_handle_tickets(user, project) -> bool:
    """Ticket handlers (project manager, consultants, IT) and whoever is named on the
    hypercare team work on support tickets."""
    if can(user, project, Capability.HANDLE_TICKETS):
        return True
    return (
        can_see(user, project)
        and project.memberships.filter(user=user, on_hypercare_team=True).exists()
    )


def can_answer_feedback(user, project) -> bool:
    """The weekly feedback round asks pilot and key users and the digital champions."""
    role = role_in(user, project)
    if role in (Role.PILOT_USER, Role.KEY_USER):
        return True
    return role is not None and project.memberships.filter(user=user, is_champion=True).exists()


def can_create_project(user) -> bool:
    """Project creation is for superusers and people granted projects.add_project."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.has_perm("projects.add_project")
    )


def ensure_can_create_project(user) -> None:
    if not can_create_project(user):
        raise PermissionDenied(_("You are not allowed to create projects."))


# --- Declared policies for views ----------------------------------------------------------

PUBLIC = "public"
AUTHENTICATED = "authenticated"
POLICY_ATTRIBUTE = "rollout_policy"


def declare(policy: str) -> Callable:
    """Mark a view (function or class) with the policy it enforces."""

    def mark(view):
        setattr(view, POLICY_ATTRIBUTE, policy)
        return view

    return mark


def project_view(capability: Capability) -> Callable:
    """Decorate a page that acts on one project, given in the URL as `code`.

    Loads the project through the visibility selector (outsider: 404), checks the
    capability (member without it: 403) and passes the project to the view.
    """

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request, code: str, *args: Any, **kwargs: Any):
            from projects.selectors import project_get

            project = project_get(user=request.user, code=code)
            ensure(request.user, project, capability)
            return view(request, project, *args, **kwargs)

        setattr(wrapper, POLICY_ATTRIBUTE, f"project:{capability}")
        return wrapper

    return decorator
