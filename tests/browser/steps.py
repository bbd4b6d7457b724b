"""Steps every journey takes: signing in through the form, as a person would."""

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD


def sign_in(page: Page, user, password: str = PASSWORD) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My projects")).to_be_visible()
    # The page scripts loaded from the live server's static files.
    assert page.evaluate("typeof window.htmx") == "object"


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def has_no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
