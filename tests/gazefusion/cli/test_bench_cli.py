"""`gazefusion bench run|report` end to end on the tiny random model (real pipeline, real scorers).

Includes the crash test: a run killed with SIGKILL after some items finished, then resumed, gives
the same Parquet as an uninterrupted run, and never leaves a partial part-file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from testsupport import bench_run_args, write_bench_inputs

from gazefusion.bench.results import COLUMNS, read_results
from gazefusion.cli import main

REPO = Path(__file__).resolve().parents[3]
SCORERS = "spectral-residual,centre-bias"
METRICS = ("cc", "nss", "auc_shuffled")  # a density, a location and a seeded stochastic metric


def write_inputs(folder: Path) -> tuple[Path, Path]:
    return write_bench_inputs(folder, ["a sailboat on the sea"])


def bench_args(prompts, smaps, out):
    return bench_run_args(prompts, smaps, out, steps=1, scorers=SCORERS, metrics=",".join(METRICS))


def run_in_process(args):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 0


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run on the tiny model (in this process): 1 prompt x 2 smaps x 1 seed = 3 items."""
    folder = tmp_path_factory.mktemp("reference")
    prompts, smaps = write_inputs(folder)
    run_in_process(bench_args(prompts, smaps, folder / "bench"))
    return folder


def test_run_and_report_on_the_tiny_model(reference, tmp_path, capsys):
    out = reference / "bench"
    df = pd.read_parquet(out / "results.parquet")
    assert tuple(df.columns) == COLUMNS
    # baseline x 2 smaps + gazefusion x 2 smaps x (aligned, shuffled) = 6 rows per scorer x metric
    assert len(df) == 6 * 2 * len(METRICS)
    assert set(df["scorer"]) == set(SCORERS.split(",")) and set(df["metric"]) == set(METRICS)
    assert df["value"].notna().all()
    assert len(list((out / "images" / "gazefusion").glob("*.png"))) == 2
    assert len(list((out / "images" / "baseline").glob("*.json"))) == 1
    assert len(list((out / "predictions").rglob("*.png"))) == 2 * 3
    run_in_process(["bench", "report", str(out), "-o", str(tmp_path / "report")])
    assert f"report: {tmp_path / 'report' / 'report.md'}" in capsys.readouterr().out.replace("\n", "")
    for name in (
        "report.md",
        "report.html",
        "fig_means.png",
        "examples.png",
        "summary.csv",
        "paired.csv",
        "gap.csv",
    ):
        assert (tmp_path / "report" / name).is_file(), name
    md = (tmp_path / "report" / "report.md").read_text()
    assert "minus baseline" in md and "Aligned minus shuffled" in md and "Tiny random model" in md


def spawn(args):
    # one torch thread: the tiny model's small operations only lose from more on a shared machine
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GAZEFUSION_DEBUG": "", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "gazefusion", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_run_resumes_to_the_uninterrupted_result(reference, tmp_path):
    prompts, smaps = write_inputs(tmp_path)
    crashed = tmp_path / "crashed"
    proc = spawn(bench_args(prompts, smaps, crashed))
    parts = crashed / "parts"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.is_dir() and any(not p.name.startswith(".") for p in parts.glob("*.parquet")):
            break
        time.sleep(0.01)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    n_parts = len([p for p in parts.glob("*.parquet") if not p.name.startswith(".")])
    assert killed and 1 <= n_parts < 3, (
        f"the run ended before it could be killed ({n_parts} parts): {err[-2000:]}"
    )
    assert not (crashed / "results.parquet").exists()
    partial = read_results(crashed)  # every part-file on disk is complete: whole items only
    assert partial.groupby("item").size().isin([2 * 2 * len(METRICS)]).all()
    run_in_process(bench_args(prompts, smaps, crashed))
    pd.testing.assert_frame_equal(
        pd.read_parquet(crashed / "results.parquet"),
        pd.read_parquet(reference / "bench" / "results.parquet"),
        check_exact=False,
        rtol=1e-6,
    )


@pytest.fixture()
def inputs(tmp_path):
    return write_inputs(tmp_path)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        pytest.param(
            ["--prompts", "{tmp}/absent.txt"], "--prompts: prompt file not found", id="missing-prompts"
        ),
        pytest.param(["--smaps", "{tmp}/empty"], "--smaps: the smap set is empty", id="empty-smaps"),
        pytest.param(
            ["--scorers", "no-such-model"],
            "--scorers: unknown saliency model 'no-such-model'",
            id="unknown-scorer",
        ),
        pytest.param(["--metrics", "cc,nope"], "--metrics: unknown metric 'nope'", id="unknown-metric"),
        pytest.param(["--seeds", "1,x"], "--seeds: expected a comma-separated list of int", id="bad-seeds"),
    ],
)
def test_bad_input_gives_one_clear_line(tmp_path, inputs, capsys, args, match):
    prompts, smaps = inputs
    (tmp_path / "empty").mkdir()
    base = {"--prompts": str(prompts), "--smaps": str(smaps), "--scorers": "centre-bias"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value.format(tmp=tmp_path)
    argv = ["bench", "run", "--out", str(tmp_path / "o")] + [x for kv in base.items() for x in kv]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert match in err and len(err.splitlines()) == 1, err


def test_report_of_a_missing_folder_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["bench", "report", str(tmp_path / "nothing")])
    assert info.value.code == 2
    assert "RESULTS: not found" in capsys.readouterr().err
