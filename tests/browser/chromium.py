"""Where the browser tests find Chromium, and what they do when it is missing."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = "apt-get install chromium"

# The distribution's Chromium, quiet: without the networking flags it keeps trying to reach
# Google's services, which these machines refuse (and which would slow every page down).
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

RUN, SKIP, FAIL = "run", "skip", "fail"


@dataclass(frozen=True)
class Decision:
    action: str  # RUN, SKIP or FAIL
    reason: str = ""


def chromium_path(env: Mapping[str, str] = os.environ) -> str:
    return env.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM


def is_ci(env: Mapping[str, str]) -> bool:
    return env.get("CI", "").strip().lower() in {"1", "true", "yes"}


def decide(*, path_exists: bool, env: Mapping[str, str]) -> Decision:
    """Run when Chromium is there. Without it a developer's run skips the browser tests,
    but CI fails: a CI machine that silently skips them would prove nothing."""
    if path_exists:
        return Decision(RUN)
    path = chromium_path(env)
    if is_ci(env):
        return Decision(FAIL, f"CI needs Chromium: {INSTALL_HINT} (looked for {path}).")
    return Decision(SKIP, f"Chromium not found at {path}: {INSTALL_HINT}, or set CHROMIUM_PATH.")


def decide_here() -> Decision:
    return decide(path_exists=Path(chromium_path()).is_file(), env=os.environ)
