"""Sign-in, sign-out and password reset, with the reset e-mail sent over real SMTP."""

import re
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from tests.factories import PASSWORD, UserFactory


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings):
    """A real SMTP server on localhost; Django's SMTP backend talks to it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


def wait_for(inbox, count=1, timeout=5.0):
    deadline = time.monotonic() + timeout
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return inbox.messages


@pytest.mark.django_db
def test_sign_in_and_out(client):
    user = UserFactory(username="lan")

    response = client.post("/accounts/login/", {"username": "lan", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/projects/"
    assert client.get("/projects/").status_code == 200

    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/projects/").status_code == 302
    assert user.is_active


@pytest.mark.django_db
def test_wrong_password_shows_an_error_on_the_form(client):
    UserFactory(username="lan")
    response = client.post("/accounts/login/", {"username": "lan", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@pytest.mark.django_db
def test_password_reset_mail_goes_over_smtp_and_the_link_sets_a_new_password(client, smtp_inbox):
    UserFactory(username="lan", email="lan@hanoiretail.example")

    response = client.post("/accounts/password_reset/", {"email": "lan@hanoiretail.example"})
    assert response.status_code == 302

    [message] = wait_for(smtp_inbox)
    assert message["To"] == "lan@hanoiretail.example"
    assert message["Subject"] == "Rollout: choose a new password"
    body = message.get_payload(decode=True).decode()
    assert "Your username is lan." in body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "Hanoi-warehouse-42", "new_password2": "Hanoi-warehouse-42"}
    )
    assert done.status_code == 302

    client.logout()
    assert client.login(username="lan", password="Hanoi-warehouse-42")


@pytest.mark.django_db
def test_password_reset_for_unknown_address_sends_nothing_and_says_the_same(client, smtp_inbox):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    time.sleep(0.2)
    assert smtp_inbox.messages == []
