"""The ``gazefusion`` command itself: help lists every sub-command, version, one-line user errors."""

import subprocess
import sys

import pytest

from gazefusion import __version__
from gazefusion.cli import main

SUBCOMMANDS = (
    "demo",
    "generate",
    "smap",
    "convert",
    "saliency",
    "metrics",
    "prepare",
    "train",
    "bench",
    "study",
    "analyze",
)


def _run(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_help_lists_every_subcommand(capsys):
    code, out, _ = _run(["--help"], capsys)
    assert code == 0
    for name in SUBCOMMANDS:
        assert f" {name} " in out, name


def test_version(capsys):
    code, out, _ = _run(["--version"], capsys)
    assert code == 0 and out.strip() == f"gazefusion {__version__}"


def test_user_error_is_one_line_exit_2(tmp_path, capsys):
    code, _, err = _run(["smap", "info", str(tmp_path / "absent.png")], capsys)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[0].startswith("error:") and "Traceback" not in err


def test_debug_env_shows_the_traceback(tmp_path):
    cmd = [sys.executable, "-m", "gazefusion", "smap", "info", str(tmp_path / "absent.png")]
    env = {"GAZEFUSION_DEBUG": "1", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode != 0 and "Traceback" in proc.stderr and "UserInputError" in proc.stderr
