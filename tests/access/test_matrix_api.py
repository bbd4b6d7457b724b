"""Every API route x method x every role, an outsider and an anonymous caller, against
the matrix: anonymous -> 401, outsider -> what the entry says (404, an empty list, or 400
for a project named in the body), a member the policy denies -> 403 and nothing changed,
a member it allows -> neither 403 nor 404, and never a 500."""

import pytest
from django.urls import get_resolver, reverse
from rest_framework.test import APIClient

from tests.access.harness import (
    IDENTITIES,
    Mismatch,
    api_kwargs,
    report,
    rolled_back,
    tables_written,
)
from tests.access.matrix import API
from tests.projects.test_urls_policy import walk

PATTERNS = {}
for _route, _namespace, _name, _pattern in walk(get_resolver().url_patterns):
    # The first pattern of a name is the plain one; the others add a format suffix.
    if _name and (_name, "get") in API or any(key[0] == _name for key in API):
        PATTERNS.setdefault(_name, _pattern)
CASES = sorted(API)


def _body(records) -> dict:
    """Names the project and one record of each kind a write may need, and nothing else:
    the serializers answer 400 to an allowed member, the policy 403 to the others."""
    return {
        "project": records.project.code,
        "defect": records["defect"].pk,
        "kpi": records["kpi"].pk,
        "entry": records["entry"].pk,
        "cycle": records["cycle"].pk,
        "object": records["object"].pk,
        "migration_object": records["object"].pk,
        "session": records["session"].pk,
    }


def _rows(response, code) -> list:
    """The rows of the answer that belong to the project."""
    data = response.data
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    rows = data if isinstance(data, list) else []
    return [
        row
        for row in rows
        if isinstance(row, dict) and code in (row.get("project"), row.get("code"))
    ]


def _request(client, name, method, url, query, records):
    if method == "get":
        return client.get(url, query)
    if method == "patch":
        return client.patch(url, {}, format="json")
    if name.endswith("-import"):
        return client.post(url, {"project": records.project.code})
    return getattr(client, method)(url, _body(records), format="json")


def _problem(entry, method, identity, response, allowed, changed) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"{status}"
    refused = identity in ("anonymous", "outsider") or not allowed
    if changed and refused:
        return f"{status} with changes in {', '.join(changed)}"
    if identity == "anonymous":
        return None if status == 401 else f"{status}"
    if identity == "outsider" and entry.outsider != "create":
        if entry.outsider == "empty":
            if method == "get":
                return None if status == 200 and not _rows(response, "HNR-ERP") else f"{status}"
            return None if status in (200, 400) else f"{status}"
        return None if status == entry.outsider else f"{status}"
    if not allowed:
        return None if status == 403 else f"{status}"
    return f"{status}" if status in (401, 403, 404) else None


def _expected(entry, identity, allowed) -> str:
    if identity == "anonymous":
        return "401"
    if identity == "outsider" and entry.outsider != "create":
        return {"empty": "200 without the project's rows"}.get(entry.outsider, entry.outsider)
    return "allowed (not 403/404)" if allowed else "403, nothing changed"


@pytest.mark.parametrize(("name", "method"), CASES, ids=[f"{m}-{n}" for n, m in CASES])
def test_endpoint_answers_every_identity_as_the_matrix_says(records, name, method):
    entry = API[(name, method)]
    url = reverse(name, kwargs=api_kwargs(name, PATTERNS[name], records))
    query = {"project": records.project.code} if method == "get" else None
    mismatches = []
    for identity in IDENTITIES:
        user = records.people.get(identity)
        allowed = user is not None and entry.rule.allows(user, records)

        def attempt(user=user):
            client = APIClient()
            if user is not None:
                client.force_authenticate(user=user)
            with tables_written() as changed:
                response = _request(client, name, method, url, query, records)
            return response, changed

        response, changed = rolled_back(attempt)
        problem = _problem(entry, method, identity, response, allowed, changed)
        if problem:
            expected = _expected(entry, identity, allowed)
            mismatches.append(
                Mismatch(url, method, identity, f"{expected} ({entry.rule})", problem)
            )
    assert not mismatches, "\n" + report(mismatches)
