"""The decision to run, skip or fail the browser tests when Chromium is missing."""

import pytest

from tests.browser.chromium import DEFAULT_CHROMIUM, FAIL, RUN, SKIP, chromium_path, decide


@pytest.mark.parametrize("ci", ["", "true", "1", "false"])
def test_runs_whenever_chromium_is_there(ci):
    assert decide(path_exists=True, env={"CI": ci}).action == RUN


def test_a_developer_without_chromium_skips_with_the_install_hint():
    decision = decide(path_exists=False, env={})
    assert decision.action == SKIP
    assert "apt-get install chromium" in decision.reason
    assert DEFAULT_CHROMIUM in decision.reason


@pytest.mark.parametrize("ci", ["true", "TRUE", "1", " True "])
def test_ci_without_chromium_fails(ci):
    decision = decide(path_exists=False, env={"CI": ci})
    assert decision.action == FAIL
    assert decision.reason.startswith("CI needs Chromium: apt-get install chromium")


@pytest.mark.parametrize("ci", ["", "false", "0", "no"])
def test_ci_set_to_false_still_skips(ci):
    assert decide(path_exists=False, env={"CI": ci}).action == SKIP


def test_chromium_path_is_overridable():
    assert chromium_path({}) == DEFAULT_CHROMIUM
    assert chromium_path({"CHROMIUM_PATH": "/opt/chrome/chrome"}) == "/opt/chrome/chrome"
    decision = decide(path_exists=False, env={"CHROMIUM_PATH": "/opt/chrome/chrome"})
    assert "/opt/chrome/chrome" in decision.reason
