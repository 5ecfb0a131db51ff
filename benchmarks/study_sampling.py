"""Benchmark of the study runner: samples lost at 1000 Hz, and frame timing in a real window.

Part 1 (no window): a 10-minute session of the example study (12 trials of 48 s free viewing)
with the simulated tracker at 1000 Hz on the virtual display; counts the samples lost (gaps in
each trial's stored 1 ms sample grid, and generated-vs-stored).
Part 2 (``--window``): a short session in a PsychoPy window (run it under
``xvfb-run -a -s "-screen 0 1920x1080x24"`` on a machine without a display): frame-interval
mean/SD, dropped frames, samples lost, and a screenshot of the stimulus screen
(``--screenshot``, default /tmp/study_screen.png).

    .venv/bin/python benchmarks/study_sampling.py [--minutes 10] [--window] [--window-trials 3]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from study.config import StudyConfig
from study.example import write_example_study
from study.session import Session
from study.storage import StudyStore
from study.trackers import get_tracker


def samples_lost(db: Path, rate: float) -> dict:
    """Gaps in each trial's sample grid (stored samples should be exactly 1/rate apart)."""
    con = sqlite3.connect(db)
    lost = stored = 0
    for (idx,) in con.execute("SELECT trial_index FROM trials"):
        t = np.array(
            [
                r[0]
                for r in con.execute(
                    "SELECT system_time FROM samples WHERE trial_index=? ORDER BY system_time", (idx,)
                )
            ]
        )
        stored += len(t)
        lost += int(np.sum(np.round(np.diff(t) * rate) - 1))
    span = con.execute("SELECT sum(trial_end - fixation_onset) FROM trials").fetchone()[0]
    con.close()
    return {"stored": stored, "lost_in_grid": lost, "recorded_trial_time_s": span}


def frame_stats(db: Path) -> dict:
    con = sqlite3.connect(db)
    iv, where = [], []
    for (idx,) in con.execute("SELECT trial_index FROM trials").fetchall():
        f = con.execute(
            "SELECT flip_time, phase, frame FROM frames WHERE trial_index=? ORDER BY frame", (idx,)
        )
        f = f.fetchall()
        iv.extend(np.diff([t for t, _, _ in f]))
        where.extend((idx, frame, phase) for _, phase, frame in f[1:])
    worst = [(*where[i], round(1000 * iv[i], 1)) for i in np.argsort(iv)[::-1][:5]]
    dropped = con.execute("SELECT sum(n_dropped) FROM trials").fetchone()[0]
    dur = [r[0] for r in con.execute("SELECT stimulus_offset - stimulus_onset FROM trials")]
    con.close()
    iv = np.asarray(iv)
    return {
        "frames": int(iv.size + 1),
        "interval_mean_ms": 1000 * iv.mean(),
        "interval_sd_ms": 1000 * iv.std(),
        "interval_max_ms": 1000 * iv.max(),
        "dropped_frames": int(dropped),
        "worst_intervals_trial_frame_phase_ms": worst,
        "stimulus_durations_s": [round(d, 4) for d in dur],
    }


class _CountingSession(Session):
    """Counts the samples the tracker generated during validations (not stored by design)."""

    validation_samples = 0

    def _validate(self, *args, **kwargs):
        before = self.tracker.n_generated
        try:
            return super()._validate(*args, **kwargs)
        finally:
            self.validation_samples += self.tracker.n_generated - before


def run_session(cfg: StudyConfig, db: Path, display, participant: str = "B01", screenshot=None) -> tuple:
    """Run a session with the simulated tracker; returns (result, wall s, samples generated in trials)."""
    tracker = get_tracker("simulated", cfg.tracker.sampling_rate_hz, seed=1)
    t0 = time.perf_counter()
    with StudyStore(db) as store:
        session = _CountingSession(cfg, store, display, tracker, participant, screenshot=screenshot)
        res = session.run()
    return res, time.perf_counter() - t0, tracker.n_generated - session.validation_samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--window", action="store_true", help="also run a short session in a PsychoPy window")
    ap.add_argument("--window-trials", type=int, default=3)
    ap.add_argument("--screenshot", default="/tmp/study_screen.png")
    args = ap.parse_args()
    from study.display import PsychoPyDisplay, VirtualDisplay

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        n_trials = 12
        stim_s = args.minutes * 60 / n_trials - 2.0
        cfg_path = write_example_study(
            tmp / "long",
            items=tuple(f"i{k}" for k in range(n_trials)),
            conditions=("blob_left",),
            trials={"stimulus_s": stim_s},
            calibration={"drift_check_every": 0},
        )
        cfg = StudyConfig.from_file(cfg_path)
        cfg = cfg.replace(design=cfg.design.replace(counterbalance="none"), practice=())
        res, wall, generated = run_session(cfg, tmp / "long.sqlite", VirtualDisplay(cfg.display))
        out = {
            "virtual": {
                "status": res.status,
                "wall_s": round(wall, 1),
                "generated_in_trials": generated,
                **samples_lost(tmp / "long.sqlite", 1000.0),
            }
        }
        out["virtual"]["lost_generated_minus_stored"] = generated - out["virtual"]["stored"]
        print(json.dumps(out, indent=1), flush=True)
        if args.window:
            cfg_path = write_example_study(
                tmp / "win",
                items=tuple(f"w{k}" for k in range(args.window_trials)),
                trials={"stimulus_s": 2.0, "fixation_s": 0.5, "iti_s": 0.5},
                calibration={"point_s": 0.5, "drift_check_every": 0},
                text={"auto_advance_s": 0.2},
            )
            cfg = StudyConfig.from_file(cfg_path).replace(practice=())
            display = PsychoPyDisplay(cfg.display, fullscr=False, background=cfg.trials.background)
            try:
                res, wall, generated = run_session(
                    cfg, tmp / "win.sqlite", display, screenshot=args.screenshot
                )
                paced = display.paced
            finally:
                display.close()
            out["window"] = {
                "status": res.status,
                "wall_s": round(wall, 1),
                "software_paced_no_vsync": paced,
                "generated_in_trials": generated,
                **samples_lost(tmp / "win.sqlite", 1000.0),
                **frame_stats(tmp / "win.sqlite"),
                "screenshot": args.screenshot,
            }
            out["window"]["lost_generated_minus_stored"] = generated - out["window"]["stored"]
            print(json.dumps(out["window"], indent=1))


if __name__ == "__main__":
    main()
