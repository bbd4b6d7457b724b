"""Every view declares its policy, and every project page shuts out strangers.

Both checks walk the live URL configuration, so a new URL is covered without touching
this file.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from django.views.generic import RedirectView

from projects.choices import Role
from projects.models import Membership, Project
from projects.policy import AUTHENTICATED, POLICY_ATTRIBUTE, declare

OUR_MODULES = ("projects", "implementation", "uat", "kpis", "config")

# Views we did not write, protected by their own framework (admin: staff only; auth and
# i18n: public by nature; DRF root, token and schema views: see the API settings).
ALLOWED_THIRD_PARTY_MODULES = (
    "django.contrib.admin.",
    "django.contrib.auth.views",
    "django.contrib.auth.admin",  # UserAdmin's password page, behind admin_view
    "django.contrib.contenttypes.views",  # the admin's "view on site" shortcut
    "django.views.i18n",
    "rest_framework.routers",  # the API root view
    "rest_framework.authtoken.views",  # obtain_auth_token
    "drf_spectacular.",
)

# The admin site adds a bare RedirectView ("<object_id>/" -> its change page) to every model.
ALLOWED_IN_ADMIN_NAMESPACE = ("django.views.generic.base",)

LOGIN_URL = "/accounts/login/"


# --- Walking the URL configuration --------------------------------------------------------


def walk(patterns, prefix="", namespace=""):
    """Yield (route, namespace, namespaced name, URLPattern) for every pattern, recursing
    into includes."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield route, namespace, name, entry


def declared_policy(callback):
    """The policy a view declares: on the function, a DRF view's `cls` or a Django CBV."""
    for holder in (
        callback,
        getattr(callback, "cls", None),
        getattr(callback, "view_class", None),
    ):
        policy = getattr(holder, POLICY_ATTRIBUTE, None) if holder is not None else None
        if policy:
            return policy
    return None


def module_of(callback) -> str:
    return getattr(callback, "__module__", None) or ""


def views_without_policy(patterns) -> list[str]:
    """Routes whose view neither declares a policy nor comes from an allowlisted module.

    Our own views must declare one; a view from any other module must be allowlisted
    explicitly, so a new third-party include is a conscious decision.
    """
    missing = []
    for route, namespace, _name, pattern in walk(patterns):
        callback = pattern.callback
        module = module_of(callback)
        if declared_policy(callback):
            continue
        if module.startswith(ALLOWED_THIRD_PARTY_MODULES):
            continue
        if namespace == "admin" and module.startswith(ALLOWED_IN_ADMIN_NAMESPACE):
            continue
        view = getattr(callback, "view_class", None) or callback
        missing.append(f"{route} -> {module}.{view.__name__}")
    return missing


def test_every_view_declares_a_policy_or_is_allowlisted():
    assert views_without_policy(get_resolver().url_patterns) == []


def test_our_views_are_found_by_the_walk():
    # guard against a walk that silently finds nothing
    modules = {module_of(p.callback) for _r, _ns, _n, p in walk(get_resolver().url_patterns)}

    assert {"projects.views", "projects.api.views", "config.health"} <= modules


def test_project_pages_declare_the_capability_they_check():
    policies = {
        name: declared_policy(pattern.callback)
        for _route, _namespace, name, pattern in walk(get_resolver().url_patterns)
        if name and name.startswith("projects:")
    }

    assert policies == {
        "projects:list": AUTHENTICATED,
        "projects:create": AUTHENTICATED,
        "projects:detail": "project:view_project",
        "projects:edit": "project:edit_project",
        "projects:team": "project:view_project",
        "projects:team-coverage": "project:view_project",
        "projects:member-add": "project:manage_team",
        "projects:member-change": "project:manage_team",
        "projects:member-remove": "project:manage_team",
    }


def _undeclared_view(request):
    raise AssertionError("never called")


_undeclared_view.__module__ = "projects.views"


@declare(AUTHENTICATED)
def _declared_view(request):
    raise AssertionError("never called")


_declared_view.__module__ = "projects.views"


def _unknown_third_party_view(request):
    raise AssertionError("never called")


_unknown_third_party_view.__module__ = "somepackage.views"


def test_policy_check_fails_for_our_view_without_a_policy():
    patterns = [
        path("ok/", _declared_view),
        path("nested/", include([path("bad/", _undeclared_view)])),
    ]

    assert views_without_policy(patterns) == ["nested/bad/ -> projects.views._undeclared_view"]


def test_policy_check_fails_for_a_view_from_a_module_not_allowlisted():
    patterns = [path("other/", _unknown_third_party_view)]

    assert views_without_policy(patterns) == [
        "other/ -> somepackage.views._unknown_third_party_view"
    ]


def test_policy_check_allows_a_bare_generic_view_only_inside_the_admin_namespace():
    redirect = RedirectView.as_view(url="/")
    patterns = [
        path("admin/", include(([path("x/", redirect)], "admin"))),
        path("elsewhere/", redirect),
    ]

    assert views_without_policy(patterns) == [
        "elsewhere/ -> django.views.generic.base.RedirectView"
    ]


# --- Project pages (every role, outsider and anonymous visitor: tests/access) ------------


def _project_patterns() -> list[tuple[str, URLPattern]]:
    return [
        (name, pattern)
        for _route, _namespace, name, pattern in walk(get_resolver().url_patterns)
        if name and name.split(":")[0] == "projects"
    ]


PROJECT_PATTERNS = _project_patterns()
PROJECT_SCOPED_PATTERNS = [
    (name, pattern) for name, pattern in PROJECT_PATTERNS if "code" in pattern.pattern.converters
]


def test_the_matrix_covers_project_pages():
    assert len(PROJECT_PATTERNS) == 9
    assert len(PROJECT_SCOPED_PATTERNS) == 7


def build_url(name: str, pattern: URLPattern, project: Project, membership: Membership) -> str:
    values = {"code": project.code, "pk": membership.pk}
    kwargs = {key: values[key] for key in pattern.pattern.converters}
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def manager_seat(project, pm) -> Membership:
    return Membership.objects.get(project=project, user=pm, role=Role.PROJECT_MANAGER)


@pytest.mark.parametrize(
    ("name", "pattern"),
    PROJECT_SCOPED_PATTERNS,
    ids=[name for name, _ in PROJECT_SCOPED_PATTERNS],
)
def test_unknown_project_code_gets_404_for_a_member(client, pm, manager_seat, name, pattern):
    # given a member of some project asks for a code that does not exist
    missing = Project(code="NO-SUCH")
    page = build_url(name, pattern, missing, manager_seat)
    client.force_login(pm)

    response = client.get(page)

    assert response.status_code == 404
