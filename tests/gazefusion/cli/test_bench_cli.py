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

import numpy as np
import pandas as pd
import pytest

from gazefusion.bench.results import COLUMNS, read_results
from gazefusion.cli import main
from gazefusion.smaps import save_smap

REPO = Path(__file__).resolve().parents[3]
SCORERS = "spectral-residual,centre-bias"
METRICS = ("cc", "kld", "nss", "sim", "auc_judd", "auc_shuffled")


@pytest.fixture()
def inputs(tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a sailboat on the sea\na red bus\n")
    smaps = tmp_path / "smaps"
    yy, xx = np.mgrid[0:32, 0:32]
    for name, (cx, cy) in {"a": (8, 16), "b": (24, 12)}.items():
        save_smap(smaps / f"{name}.png", np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 50.0).astype(np.float32))
    return prompts, smaps


def bench_args(prompts, smaps, out):
    return ["bench", "run", "--prompts", str(prompts), "--smaps", str(smaps), "--steps", "2", "--seeds", "0",
            "--scorers", SCORERS, "--out", str(out)]


def run_cli(args, **kw):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GAZEFUSION_DEBUG": "", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "gazefusion", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def finish(proc, timeout=120):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return out + err


def test_run_and_report_on_the_tiny_model(tmp_path, inputs):
    prompts, smaps = inputs
    out = tmp_path / "bench"
    log = finish(run_cli(bench_args(prompts, smaps, out)))
    assert "tiny" in log.lower()
    df = pd.read_parquet(out / "results.parquet")
    assert tuple(df.columns) == COLUMNS
    # 2 prompts: baseline x 2 smaps + gazefusion x 2 smaps x (aligned, shuffled) = 6 rows per scorer x metric
    assert len(df) == 2 * 6 * 2 * len(METRICS)
    assert set(df["scorer"]) == set(SCORERS.split(",")) and set(df["metric"]) == set(METRICS)
    assert df["value"].notna().all()
    assert len(list((out / "images" / "gazefusion").glob("*.png"))) == 4
    assert len(list((out / "predictions").rglob("*.png"))) == 2 * 6
    with pytest.raises(SystemExit) as info:
        main(["bench", "report", str(out), "-o", str(tmp_path / "report")])
    assert info.value.code == 0
    for name in ("report.md", "report.html", "fig_means.png", "examples.png", "summary.csv", "paired.csv", "gap.csv"):
        assert (tmp_path / "report" / name).is_file(), name
    md = (tmp_path / "report" / "report.md").read_text()
    assert "minus baseline" in md and "shuffled" in md and "Tiny random model" in md


def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path, inputs):
    prompts, smaps = inputs
    reference = tmp_path / "reference"
    finish(run_cli(bench_args(prompts, smaps, reference)))
    crashed = tmp_path / "crashed"
    proc = run_cli(bench_args(prompts, smaps, crashed))
    parts = crashed / "parts"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.is_dir() and len([p for p in parts.glob("*.parquet") if not p.name.startswith(".")]) >= 2:
            break
        time.sleep(0.02)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    n_parts = len([p for p in parts.glob("*.parquet") if not p.name.startswith(".")])
    assert killed and 2 <= n_parts < 6, f"run ended before it could be killed ({n_parts} parts)"
    assert not (crashed / "results.parquet").exists()
    partial = read_results(crashed)  # every part-file on disk is complete
    assert len(partial) % (2 * len(METRICS)) == 0
    finish(run_cli(bench_args(prompts, smaps, crashed)))
    pd.testing.assert_frame_equal(pd.read_parquet(crashed / "results.parquet"),
                                  pd.read_parquet(reference / "results.parquet"), check_exact=False, rtol=1e-6)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        pytest.param(["--prompts", "{tmp}/absent.txt"], "--prompts: prompt file not found", id="missing-prompts"),
        pytest.param(["--smaps", "{tmp}/empty"], "--smaps: the smap set is empty", id="empty-smaps"),
        pytest.param(["--scorers", "no-such-model"], "--scorers: unknown saliency model 'no-such-model'",
                     id="unknown-scorer"),
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
