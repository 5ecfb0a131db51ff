"""The package installed from its wheel works outside the checkout: defaults find their files
(built-in smaps, prompt sets, the default model) through importlib.resources, not the source tree.

The wheel is built from this checkout and installed (non-editable, without dependencies) into a
fresh virtual environment whose dependencies come from the test environment's site-packages
(a plain path in a ``.pth`` file: that folder's own ``.pth`` files, the editable install among them,
are not run). Then ``gazefusion smap list`` and ``gazefusion demo`` run from a folder outside the
checkout, and the package they import is the wheel's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("wheel")
    # build from a copy of the checkout's files: setuptools writes build/ and *.egg-info beside the
    # sources, and a stale egg-info in the checkout would shadow the editable install's metadata
    src = root / "src"
    listing = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for name in filter(None, listing.split("\0")):
        if (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(root / "dist"),
            str(src),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (wheel,) = (root / "dist").glob("gazefusion-*.whl")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    work = root / "elsewhere"
    work.mkdir()
    return py, work, wheel


def _run(py: Path, work: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GAZEFUSION_MODEL")}
    env["GAZEFUSION_BUILTIN_MODEL"] = "1"
    return subprocess.run(
        [str(py), *args], cwd=work, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_the_wheel_holds_the_run_time_files(wheel_env):
    import zipfile

    _, _, wheel = wheel_env
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "gazefusion/assets/smaps/smap1.png",
        "gazefusion/assets/smaps/smap1.toml",
        "gazefusion/assets/prompts/coco_style_100.txt",
        "gazefusion/assets/prompts/demo_4.txt",
        "gazefusion/models/weights/gazefusion-toy/README.md",
    ):
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "notebooks/")) for n in names)


def test_installed_package_is_the_wheel_and_lists_smaps(wheel_env):
    py, work, _ = wheel_env
    where = _run(py, work, "-c", "import gazefusion, sys; print(gazefusion.__file__)")
    assert where.returncode == 0, where.stderr
    assert str(REPO) not in where.stdout and "site-packages" in where.stdout
    out = _run(py, work, "-m", "gazefusion", "smap", "list")
    assert out.returncode == 0, out.stderr
    assert "smap1" in out.stdout and "blob_5deg_right" in out.stdout


def test_installed_demo_runs_outside_the_checkout(wheel_env):
    """The demo's small bench (4 packaged prompts x 3 built-in smaps) on the tiny model, 2 steps."""
    py, work, _ = wheel_env
    model = _run(py, work, "-c", "from gazefusion.models.loading import default_model_path as d; print(d())")
    assert model.returncode == 0 and "site-packages" in model.stdout, model.stdout + model.stderr
    out = _run(
        py,
        work,
        "-m",
        "gazefusion",
        "demo",
        "--model",
        "tiny",
        "--steps",
        "2",
        "--threads",
        "1",
        "-o",
        "demo",
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert (work / "demo" / "report" / "report.md").is_file()
