"""Shared fixtures: a project with a member for every role, and an outsider."""

import pytest
from rest_framework.test import APIClient

from projects.choices import Department, Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Tasks run in-process, even with REDIS_URL set, except in tests marked `real_worker`
    (those start a Celery worker and send it work through the configured broker)."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = "real_worker" not in request.keywords
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def project(db):
    return ProjectFactory(code="HNR-ERP", name="Hanoi Retail ERP")


def _member(project, role, department=Department.OTHER, **flags):
    return MembershipFactory(project=project, role=role, department=department, **flags).user


@pytest.fixture
def pm(project):
    return _member(project, Role.PROJECT_MANAGER, Department.MANAGEMENT)


@pytest.fixture
def consultant(project):
    return _member(project, Role.CONSULTANT)


@pytest.fixture
def it_member(project):
    return _member(project, Role.IT, Department.IT)


@pytest.fixture
def key_user(project):
    # Business users are their departments' digital champions: a complete team.
    return _member(project, Role.KEY_USER, Department.ACCOUNTING_FINANCE, is_champion=True)


@pytest.fixture
def pilot_user(project):
    return _member(project, Role.PILOT_USER, Department.SALES, is_champion=True)


@pytest.fixture
def executive(project):
    return _member(project, Role.EXECUTIVE, Department.MANAGEMENT)


@pytest.fixture
def viewer(project):
    return _member(project, Role.VIEWER)


@pytest.fixture
def outsider(db):
    """A signed-up user who is on another project, not on `project`."""
    user = UserFactory()
    MembershipFactory(user=user, role=Role.PROJECT_MANAGER)
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def members(pm, consultant, it_member, key_user, pilot_user, executive, viewer):
    """Every role on `project`, keyed by role."""
    return {
        Role.PROJECT_MANAGER: pm,
        Role.CONSULTANT: consultant,
        Role.IT: it_member,
        Role.KEY_USER: key_user,
        Role.PILOT_USER: pilot_user,
        Role.EXECUTIVE: executive,
        Role.VIEWER: viewer,
    }


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    """api_as(user) -> an APIClient authenticated as that user."""

    def login(user):
        api_client.force_authenticate(user=user)
        return api_client

    return login


@pytest.fixture
def broker_down():
    """Point the Celery app at a closed port, as if Redis were stopped; the fixture's value
    brings the broker back (tasks in-process, as everywhere else in these tests)."""
    from config.celery import app

    before = (app.conf.task_always_eager, app.conf.broker_url)

    def restore():
        app.conf.task_always_eager, app.conf.broker_url = before
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.task_always_eager, app.conf.broker_url = False, "redis://127.0.0.1:1/0"
    app._pool = None
    app.amqp._producer_pool = None
    yield restore
    restore()
