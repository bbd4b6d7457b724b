"""The matrix covers the live URL configuration exactly: a new page or endpoint without
an entry fails here, and so does an entry whose URL is gone."""

from django.urls import get_resolver

from tests.access.matrix import ADMIN_NAMESPACE, API, PAGES, PUBLIC
from tests.projects.test_urls_policy import declared_policy, walk

URLS = list(walk(get_resolver().url_patterns))


def _api_routes() -> set[tuple[str, str]]:
    """(name, method) of every router route, from the viewset's action map; HEAD is
    answered like GET, so it is GET's entry."""
    return {
        (name, method)
        for _route, _namespace, name, pattern in URLS
        for method in (getattr(pattern.callback, "actions", None) or {})
        if method != "head"
    }


def _page_names() -> set[str]:
    return {
        name
        for _route, namespace, name, pattern in URLS
        if name
        and not getattr(pattern.callback, "actions", None)
        and namespace.split(":")[0] != ADMIN_NAMESPACE
        and name not in PUBLIC
    }


def test_every_page_has_an_entry_and_every_entry_a_page():
    pages = _page_names()

    assert sorted(pages - set(PAGES)) == [], "pages without an entry in the matrix"
    assert sorted(set(PAGES) - pages) == [], "matrix entries for pages that are gone"


def test_every_api_route_and_method_has_an_entry_and_every_entry_a_route():
    routes = _api_routes()

    assert sorted(routes - set(API)) == [], "API routes without an entry in the matrix"
    assert sorted(set(API) - routes) == [], "matrix entries for API routes that are gone"


def test_public_entries_still_exist():
    names = {name for _route, _namespace, name, _pattern in URLS}

    assert sorted(set(PUBLIC) - names) == []


def test_every_url_has_a_name():
    # An unnamed URL could not have an entry; the admin names all of its own.
    unnamed = [route for route, namespace, name, _p in URLS if not name and namespace != "admin"]

    assert unnamed == []


def test_the_matrix_gate_is_the_capability_the_page_declares():
    declared = {
        name: declared_policy(pattern.callback)
        for _route, _namespace, name, pattern in URLS
        if name in PAGES and PAGES[name].gate is not None
    }

    wrong = {
        name: (policy, f"project:{PAGES[name].gate}")
        for name, policy in declared.items()
        if policy != f"project:{PAGES[name].gate}"
    }
    assert wrong == {}


def test_a_page_without_a_gate_is_declared_for_signed_in_users():
    declared = {
        name: declared_policy(pattern.callback)
        for _route, _namespace, name, pattern in URLS
        if name in PAGES and PAGES[name].gate is None
    }

    assert set(declared.values()) == {"authenticated"}
