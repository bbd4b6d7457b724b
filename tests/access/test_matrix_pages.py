"""Every project page x every role, an outsider and an anonymous visitor, against the
matrix: anonymous -> the login page, outsider -> 404, a member the policy denies -> 403
and nothing changed, a member it allows -> neither 403 nor 404, and never a 500."""

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from tests.access.harness import (
    IDENTITIES,
    Mismatch,
    page_kwargs,
    report,
    rolled_back,
    route_arguments,
    tables_written,
)
from tests.access.matrix import PAGES
from tests.projects.test_urls_policy import LOGIN_URL, walk

ARGUMENTS = {
    name: route_arguments(route)
    for route, _namespace, name, _pattern in walk(get_resolver().url_patterns)
    if name in PAGES
}
CASES = [(name, method) for name in PAGES for method in ("get", "post")]

# A body that no form accepts as a change worth making: most forms answer with errors.
HARMLESS = {"title": "", "name": "", "value": "", "status": "", "comment": ""}


def _outcome(name, method, identity, response, expected_allowed, changed) -> str | None:
    """What went wrong, or None."""
    status = response.status_code
    page = response.request["PATH_INFO"]
    if status >= 500:
        return f"{status}"
    if identity == "anonymous":
        target = f"{LOGIN_URL}?next={page}"
        if status != 302 or response.url != target:
            return f"{status} {getattr(response, 'url', '')}".strip()
    elif identity == "outsider" and PAGES[name].gate is not None:
        if status != 404:
            return f"{status}"
    elif not expected_allowed:
        if status != 403:
            return f"{status}"
    elif status in (401, 403, 404):
        return f"{status}"
    if changed and (identity in ("anonymous", "outsider") or not expected_allowed):
        return f"{status} with changes in {', '.join(changed)}"
    return None


def _expected(name, method, identity, allowed) -> str:
    if identity == "anonymous":
        return "302 to the login page"
    if identity == "outsider" and PAGES[name].gate is not None:
        return "404, nothing changed"
    return "allowed (not 403/404)" if allowed else "403, nothing changed"


@pytest.mark.parametrize(("name", "method"), CASES, ids=[f"{m}-{n}" for n, m in CASES])
def test_page_answers_every_identity_as_the_matrix_says(records, name, method):
    entry = PAGES[name]
    rule = entry.rule_for(method)
    url = reverse(name, kwargs=page_kwargs(name, ARGUMENTS[name], records))
    mismatches = []
    for identity in IDENTITIES:
        user = records.people.get(identity)
        allowed = user is not None and rule.allows(user, records)

        def attempt(user=user):
            client = Client()
            if user is not None:
                client.force_login(user)
            with tables_written() as changed:
                response = getattr(client, method)(url, HARMLESS if method == "post" else None)
            return response, changed

        response, changed = rolled_back(attempt)
        problem = _outcome(name, method, identity, response, allowed, changed)
        if problem:
            expected = _expected(name, method, identity, allowed)
            mismatches.append(Mismatch(url, method, identity, f"{expected} ({rule})", problem))
    assert not mismatches, "\n" + report(mismatches)
