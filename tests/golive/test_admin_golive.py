"""Go-live records are read in admin and written in the application, where the rules are
(reconciliation, dependency cycles, one champion per department...)."""

import pytest

from implementation.models import CutoverTask, MigrationLoad, MigrationObject
from projects.choices import Role
from tests.golive.factories import a_load, a_task, an_object, team_project

pytestmark = pytest.mark.django_db

PAGES = [
    "migrationobject",
    "migrationload",
    "cutovertask",
    "cutoverrehearsal",
    "communicationactivity",
    "enduser",
    "trainingsession",
    "attendance",
    "goliveplan",
]


@pytest.mark.parametrize("model", PAGES)
def test_go_live_lists_open_and_nothing_is_added_from_admin(client, superuser, model):
    client.force_login(superuser)
    base = f"/admin/implementation/{model}/"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}add/").status_code == 403


def test_a_signed_off_load_cannot_be_changed_or_deleted_in_admin(client, superuser):
    project, people = team_project()
    pm, owner = people[Role.PROJECT_MANAGER], people[Role.KEY_USER]
    load = a_load(an_object(project, owner, pm), pm)
    task = a_task(project, pm)
    client.force_login(superuser)

    for model, pk in [("migrationload", load.pk), ("cutovertask", task.pk)]:
        base = f"/admin/implementation/{model}/{pk}"
        assert client.get(f"{base}/change/").status_code == 200
        assert client.post(f"{base}/change/", {"source_count": 1}).status_code == 403
        assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    assert MigrationLoad.objects.get(pk=load.pk).source_count == 100
    assert CutoverTask.objects.filter(pk=task.pk).exists()
    assert MigrationObject.objects.count() == 1
