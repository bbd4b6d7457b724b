"""Writes for projects and their teams.

A project is created from a template (its system kind) by someone allowed to create
projects, who becomes its first project manager. Its project managers edit it and manage
the team. Projects are never deleted from the product: they are put on hold or closed.
A team always keeps at least one project manager.
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from implementation.blueprints import default_go_live
from implementation.services.phases import phases_create_from_blueprint
from projects import policy
from projects.choices import Department, Role
from projects.errors import ApplicationError
from projects.models import Membership, Project, User
from projects.policy import Capability

PROJECT_EDITABLE_FIELDS = (
    "name",
    "client_organisation",
    "target_product",
    "business_problem",
    "start_date",
    "target_go_live",
    "status",
    "review_weekday",
    "review_time",
    "time_zone",
)


def project_create(
    *,
    actor: User,
    name: str,
    code: str,
    client_organisation: str,
    system_kind: str,
    start_date: datetime.date,
    target_go_live: datetime.date | None = None,
    actor_department: str = Department.OTHER,
    **details,
) -> Project:
    """Create a project from its template; the actor joins as project manager."""
    policy.ensure_can_create_project(actor)
    unknown = set(details) - set(PROJECT_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected project fields: {sorted(unknown)}")
    project = Project(
        name=name,
        code=code.strip().upper(),
        client_organisation=client_organisation,
        system_kind=system_kind,
        start_date=start_date,
        target_go_live=target_go_live or default_go_live(system_kind, start_date),
        created_by=actor,
        **details,
    )
    project.full_clean()
    try:
        with transaction.atomic():
            project.save()
            Membership.objects.create(
                project=project,
                user=actor,
                role=Role.PROJECT_MANAGER,
                department=actor_department,
            )
            phases_create_from_blueprint(project=project)
    except IntegrityError as error:  # two people taking the same code at the same moment
        raise ApplicationError(_("A project with this code already exists.")) from error
    return project


def project_update(*, actor: User, project: Project, **changes) -> Project:
    """Change a project's details; only its project managers may."""
    unknown = set(changes) - set(PROJECT_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected project fields: {sorted(unknown)}")
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        policy.remember_role(locked, actor, policy.role_in(actor, project))
        policy.ensure(actor, locked, Capability.EDIT_PROJECT)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.full_clean()
        locked.save(update_fields=[*changes, "updated_at"])
    return locked


def membership_add(
    *, actor: User, project: Project, user: User, role: str, department: str
) -> Membership:
    """Put a user on the project team with a role and department."""
    policy.ensure(actor, project, Capability.MANAGE_TEAM)
    if not user.is_active:
        raise ApplicationError(_("%(user)s has no active account.") % {"user": user})
    if Membership.objects.filter(project=project, user=user).exists():
        raise ApplicationError(_("%(user)s is already on the project team.") % {"user": user})
    membership = Membership(project=project, user=user, role=role, department=department)
    membership.full_clean()
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as error:
        raise ApplicationError(
            _("%(user)s is already on the project team.") % {"user": user}
        ) from error
    return membership


def _ensure_another_manager_remains(membership: Membership) -> None:
    others = (
        Membership.objects.select_for_update()
        .filter(project_id=membership.project_id, role=Role.PROJECT_MANAGER)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise ApplicationError(
            _("A project needs at least one project manager. Name another one first.")
        )


def membership_change(
    *, actor: User, membership: Membership, role: str, department: str
) -> Membership:
    """Change a member's role or department; the last project manager keeps the role."""
    policy.ensure(actor, membership.project, Capability.MANAGE_TEAM)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.role == Role.PROJECT_MANAGER and role != Role.PROJECT_MANAGER:
            _ensure_another_manager_remains(locked)
        if (
            locked.is_champion
            and department != locked.department
            and _other_champion(locked.project_id, department, locked.pk)
        ):
            raise ApplicationError(_champion_taken(department))
        locked.role, locked.department = role, department
        locked.full_clean(exclude=["project", "user"])
        locked.save(update_fields=["role", "department", "updated_at"])
    locked.project = membership.project
    return locked


def _other_champion(project_id: int, department: str, exclude_pk: int) -> bool:
    return (
        Membership.objects.filter(project_id=project_id, department=department, is_champion=True)
        .exclude(pk=exclude_pk)
        .exists()
    )


def _champion_taken(department: str) -> str:
    return _("%(department)s already has a digital champion. Take that role off them first.") % {
        "department": Department(department).label
    }


def membership_set_go_live_roles(
    *,
    actor: User,
    membership: Membership,
    is_champion: bool | None = None,
    on_hypercare_team: bool | None = None,
) -> Membership:
    """Name or un-name a member as their department's digital champion (one per
    department) or as part of the hypercare team."""
    policy.ensure(actor, membership.project, Capability.MANAGE_TEAM)
    with transaction.atomic():
        # The project's lock keeps two champions of one department from being named at once.
        Project.objects.select_for_update().get(pk=membership.project_id)
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if (
            is_champion
            and not locked.is_champion
            and _other_champion(locked.project_id, locked.department, locked.pk)
        ):
            raise ApplicationError(_champion_taken(locked.department))
        if is_champion is not None:
            locked.is_champion = is_champion
        if on_hypercare_team is not None:
            locked.on_hypercare_team = on_hypercare_team
        locked.save(update_fields=["is_champion", "on_hypercare_team", "updated_at"])
    locked.project = membership.project
    return locked


def membership_remove(*, actor: User, membership: Membership) -> None:
    """Take a member off the team; the last project manager cannot be removed."""
    policy.ensure(actor, membership.project, Capability.MANAGE_TEAM)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.role == Role.PROJECT_MANAGER:
            _ensure_another_manager_remains(locked)
        locked.delete()
