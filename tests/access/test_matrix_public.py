"""The URLs outside any project answer as the matrix says, and every admin URL turns away
anyone who is not staff (an anonymous visitor and a project member alike)."""

import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, get_resolver, reverse

from tests.access.matrix import ADMIN_NAMESPACE, PUBLIC
from tests.projects.test_urls_policy import LOGIN_URL, walk

ADMIN_LOGIN = "/admin/login/"


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:  # the password reset link carries a user id and a token
        return reverse(name, kwargs={"uidb64": "MQ", "token": "set-password"})


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_url_answers_as_the_matrix_says(records, name):
    expected = PUBLIC[name]
    url = _url(name)
    member, outsider = records.people["pilot_user"], records.people["outsider"]
    answers = {}
    for identity, user in (("anonymous", None), ("member", member), ("outsider", outsider)):
        client = Client()
        if user is not None:
            client.force_login(user)
        answers[identity] = client.get(url)

    anonymous = answers["anonymous"]
    if expected.anonymous == "login":
        assert (anonymous.status_code, anonymous.url) == (302, f"{LOGIN_URL}?next={url}")
    else:
        assert anonymous.status_code == expected.anonymous
    assert answers["member"].status_code == expected.signed_in
    assert answers["outsider"].status_code == expected.signed_in


ADMIN_URLS = [
    route
    for route, namespace, _name, _pattern in walk(get_resolver().url_patterns)
    if namespace == ADMIN_NAMESPACE and not re.search(r"<|\(\?P|\^|\$", route)
]


def test_the_admin_walk_finds_the_admin():
    assert "admin/" in ADMIN_URLS
    assert "admin/projects/project/" in ADMIN_URLS
    assert len(ADMIN_URLS) > 30


def test_every_admin_url_turns_away_whoever_is_not_staff(records):
    """Project managers included: the admin is for the people who run Rollout."""
    manager = records.people["project_manager"]
    refused = []
    for identity, user in (("anonymous", None), ("project manager", manager)):
        client = Client()
        if user is not None:
            client.force_login(user)
        for route in ADMIN_URLS:
            if route in ("admin/login/", "admin/logout/"):
                continue
            response = client.get(f"/{route}")
            if response.status_code != 302 or not response.url.startswith(ADMIN_LOGIN):
                refused.append(f"/{route} as {identity}: {response.status_code}")
    assert refused == []
