"""Fixtures shared by the gazefusion tests: one torch thread, the tiny random model in memory and on disk."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models run fastest on one thread; more only spin against the other xdist worker."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_components() -> dict:
    """Tiny random components, seed 0 (built once per worker; tests must not modify them in place)."""
    from gazefusion.models.tiny import build_tiny_components

    return build_tiny_components(seed=0)


@pytest.fixture()
def fresh_tiny_components() -> dict:
    """The same tiny components, built anew for a test that modifies them."""
    from gazefusion.models.tiny import build_tiny_components

    return build_tiny_components(seed=0)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """The tiny model (seed 0) as a diffusers pipeline folder (written once per worker; read only)."""
    from gazefusion.models.tiny import save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def small_train_args(tiny_model_dir):
    """``small_train_args(data, out, *extra)``: arguments of a small CPU ``train`` run of the tiny model.

    32 px, batch 2, no data-loader workers, no reporting, no validation; ``extra`` are appended.
    """

    def make(data, out, *extra) -> list[str]:
        return [
            "--data",
            str(data),
            "--output-dir",
            str(out),
            "--model",
            str(tiny_model_dir),
            "--resolution",
            "32",
            "--train-batch-size",
            "2",
            "--dataloader-num-workers",
            "0",
            "--report-to",
            "none",
            "--validation-steps",
            "0",
            *map(str, extra),
        ]

    return make


#: Processes of the torchrun tests and their time limit (s).
TORCHRUN_WORLD = 2
TORCHRUN_TIMEOUT_S = 180


@pytest.fixture()
def torchrun():
    """Run ``torchrun --standalone --nproc_per_node 2 ARGS`` (free port) from the repository root.

    Returns a function ``run(args, env) -> CompletedProcess``; the launcher and its workers form one
    process group that is killed after the time limit (the test then fails with stderr's tail).
    """
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]

    def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
        cmd = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={TORCHRUN_WORLD}",
        ]
        proc = subprocess.Popen(
            [*cmd, *args],
            cwd=repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=TORCHRUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"torchrun did not finish within {TORCHRUN_TIMEOUT_S} s; stderr tail:\n{err[-3000:]}")
        assert proc.returncode == 0, f"torchrun exited with {proc.returncode}; stderr tail:\n{err[-3000:]}"
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    return run


@pytest.fixture()
def pipe(tiny_components):
    """A ``GazeFusionPipeline`` on the tiny components, on the CPU."""
    from gazefusion.pipeline import GazeFusionPipeline

    return GazeFusionPipeline.from_components(tiny_components, device="cpu")
