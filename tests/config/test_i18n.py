import pytest

from tests.factories import UserFactory


@pytest.mark.django_db
def test_choosing_vietnamese_switches_the_page_language(client):
    client.force_login(UserFactory())

    response = client.post("/i18n/setlang/", {"language": "vi", "next": "/projects/"})

    assert response.status_code == 302
    page = client.get("/projects/")
    assert '<html lang="vi">' in page.content.decode()


@pytest.mark.django_db
def test_browser_language_is_honoured(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="vi")
    assert '<html lang="vi">' in page.content.decode()
