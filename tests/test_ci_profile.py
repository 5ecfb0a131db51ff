"""CI runs hypothesis derandomised: two clones draw the same examples (tests/conftest.py, .ci/run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _profile_in_child(env_ci: str | None) -> str:
    """``PROFILE derandomize database deadline`` of hypothesis' default settings after the suite's
    conftest has run in a fresh interpreter with ``CI=env_ci`` (None: unset)."""
    code = (
        "import importlib.util as u\n"
        f"s = u.spec_from_file_location('suite_conftest', {str(REPO / 'tests' / 'conftest.py')!r})\n"
        "s.loader.exec_module(u.module_from_spec(s))\n"
        "from hypothesis import settings\n"
        "d = settings.default\n"
        "print('PROFILE', d.derandomize, d.database, d.deadline)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    if env_ci is not None:
        env["CI"] = env_ci
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=240
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return next(line for line in out.stdout.splitlines() if line.startswith("PROFILE"))


def test_ci_profile_is_derandomised_without_database_and_default_is_not():
    assert _profile_in_child("true") == "PROFILE True None None"
    assert _profile_in_child(None).startswith("PROFILE False")
