"""The matrix's records are built once per module (and per xdist worker) instead of once per
test: every test only reads them, and each identity's request runs in a savepoint that is
rolled back, so they never change. The whole module runs inside one transaction that is
rolled back at its end; each test gets its own savepoint from the `db` fixture."""

import pytest
from django.db import transaction
from django.test.utils import override_settings

from projects.choices import Department, Role
from tests.access.records import build
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

# The same team as tests/conftest.py's role fixtures: business users are champions.
TEAM = {
    Role.PROJECT_MANAGER: (Department.MANAGEMENT, {}),
    Role.CONSULTANT: (Department.OTHER, {}),
    Role.IT: (Department.IT, {}),
    Role.KEY_USER: (Department.ACCOUNTING_FINANCE, {"is_champion": True}),
    Role.PILOT_USER: (Department.SALES, {"is_champion": True}),
    Role.EXECUTIVE: (Department.MANAGEMENT, {}),
    Role.VIEWER: (Department.OTHER, {}),
}


@pytest.fixture(scope="module")
def records(django_db_setup, django_db_blocker, tmp_path_factory):
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=tmp_path_factory.mktemp("media"),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        module = transaction.atomic()
        module.__enter__()
        try:
            project = ProjectFactory(code="HNR-ERP", name="Hanoi Retail ERP")
            members = {
                role: MembershipFactory(
                    project=project, role=role, department=department, **flags
                ).user
                for role, (department, flags) in TEAM.items()
            }
            outsider = UserFactory()
            MembershipFactory(user=outsider, role=Role.PROJECT_MANAGER)
            built = build(project, members)
            built.people = {str(role): user for role, user in members.items()}
            built.people["outsider"] = outsider
            yield built
        finally:
            transaction.set_rollback(True)
            module.__exit__(None, None, None)
            app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _each_test_in_a_savepoint(db):
    """Tests here read the module's records through the `db` fixture's savepoint."""
