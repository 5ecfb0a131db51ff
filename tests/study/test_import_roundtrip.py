"""Round trip: a session of our simulated runner, written out as an EyeLink ASC file (the layout
``edf2asc -ftime`` writes: fractional-ms timestamps (here at full precision, so that no
stimulus-window boundary moves), tab-separated samples with ``.`` for missing
data, ``SFIX``/``EFIX``, ``SSACC``/``ESACC``, ``SBLINK``/``EBLINK`` and ``MSG`` lines) and imported
back with ``study import eyelink-asc``, gives the same samples, fixations and analysis numbers."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from study.config import StudyConfig
from study.importers import import_files
from study.simulate import simulate_participants
from study.storage import StudyStore


def _num(v: float, fmt: str = "{:.6f}") -> str:
    return "." if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)


def write_asc(db: Path, participant: str, out: Path) -> Path:
    """Write one stored session as an ASC file (times: the session clock in ms)."""
    with StudyStore.open_existing(db) as store:
        sid = store.find_session(participant, "1")[0]
        samples = store.table("samples", sid)
        events = store.table("events", sid)
        messages = store.table("messages", sid)
        trials = store.table("trials", sid)
        rate = store.con.execute("SELECT sampling_rate_hz FROM sessions WHERE id=?", (sid,)).fetchone()[0]
    import json

    with StudyStore.open_existing(db) as store:
        display = json.loads(
            store.con.execute("SELECT display FROM sessions WHERE id=?", (sid,)).fetchone()[0]
        )
    w, h = display["width_px"], display["height_px"]
    lines = [
        "** CONVERTED FROM test.edf using gazefusion's test writer (edf2asc -ftime layout)",
        "** DATE: Thu Jan  1 00:00:00 2026",
        "** TYPE: EDF_FILE BINARY EVENT SAMPLE TAGGED",
        "**",
        "",
        f"MSG\t0.000 DISPLAY_COORDS 0 0 {w - 1} {h - 1}",
    ]
    for tr in trials.sort_values("trial_index").itertuples():
        i = tr.trial_index
        body: list[tuple[float, int, str]] = []
        for m in messages[messages["trial_index"] == i].itertuples():
            body.append((m.system_time * 1000, 0, f"MSG\t{m.system_time * 1000:.9f} {m.text}"))
        s = samples[samples["trial_index"] == i]
        for r in s.itertuples():
            t = r.system_time * 1000
            pupil = r.pupil if r.valid else 0.0
            body.append((t, 2, f"{t:.9f}\t{_num(r.x_px)}\t{_num(r.y_px)}\t{pupil:.9f}\t..."))
        for e in events[events["trial_index"] == i].itertuples():
            on, dur = e.onset * 1000, e.duration * 1000
            end = on + dur - 1000 / rate
            head = {"fixation": "FIX", "saccade": "SACC", "blink": "BLINK"}[e.name]
            body.append((on, 1, f"S{head} L  {on:.9f}"))
            tail = f"E{head} L  {on:.9f}\t{end:.9f}\t{dur:.9f}"
            if e.name == "fixation":
                tail += f"\t{_num(e.x_px)}\t{_num(e.y_px)}\t  500"
            elif e.name == "saccade":
                tail += f"\t.\t.\t{_num(e.x_px)}\t{_num(e.y_px)}\t{_num(e.amplitude_deg, '{:.6f}')}"
                tail += f"\t{_num(e.peak_velocity_deg_s, '{:.4f}')}"
            body.append((end, 3, tail))
        body.sort(key=lambda b: (b[0], b[1]))
        first = min(b[0] for b in body)
        start = [
            f"START\t{first:.9f} \tLEFT\tSAMPLES\tEVENTS",
            "PUPIL\tDIAMETER",
            f"EVENTS\tGAZE\tLEFT\tRATE\t{rate:.2f}\tTRACKING\tCR\tFILTER\t2",
            f"SAMPLES\tGAZE\tLEFT\tRATE\t{rate:.2f}\tTRACKING\tCR\tFILTER\t2",
        ]
        # messages before the first sample go before START, like edf2asc's TRIALID lines
        pre = [b[2] for b in body if b[1] == 0 and b[0] <= first]
        rest = [b[2] for b in body if not (b[1] == 0 and b[0] <= first)]
        last = max(b[0] for b in body)
        lines += pre + start + rest + [f"END\t{last:.9f} \tSAMPLES\tEVENTS\tRES\t 11.00\t 11.00"]
    out.write_text("\n".join(lines) + "\n")
    return out


def _analysis(db: Path):
    from analysis.alignment import score_alignment
    from analysis.fixations import fixations_on_stimuli, study_fixations
    from analysis.study_data import image_sizes, load_study, target_smaps

    study = load_study(db)
    sizes = image_sizes(study)
    fix = fixations_on_stimuli(study_fixations(study, "tracker"), study.trials, sizes)
    scores = score_alignment(fix, target_smaps(study, sizes), study.geometry, metrics=("cc", "nss"), seed=0)
    return fix, scores


@pytest.mark.slow
def test_simulated_session_through_asc_gives_the_same_data_and_numbers(make_study, tmp_path):
    cfg_path = make_study(trials={"stimulus_s": 1.0})
    cfg = StudyConfig.from_file(cfg_path)
    # blinking observers: their missing samples must come back missing
    cfg = cfg.replace(tracker=cfg.tracker.replace(settings={"blink_rate_hz": 2.0}))
    data = cfg_path.parent / "data"
    recorded, imported = data / "recorded.sqlite", data / "imported.sqlite"
    simulate_participants(cfg, recorded, ["sim01"])
    asc = write_asc(recorded, "sim01", tmp_path / "sim01.asc")

    (res,) = import_files("eyelink-asc", [asc], cfg, imported)
    assert res.status == "imported" and res.participant == "sim01" and res.sampling_rate_hz == 1000.0

    a, b = sqlite3.connect(recorded), sqlite3.connect(imported)
    q = "SELECT trial_index, system_time, x_px, y_px, x_deg, y_deg, valid FROM samples ORDER BY trial_index, system_time"
    sa, sb = pd.read_sql_query(q, a), pd.read_sql_query(q, b)
    assert len(sa) == len(sb) and (sa["trial_index"].to_numpy() == sb["trial_index"].to_numpy()).all()
    assert (sa["valid"] == sb["valid"]).all() and sa["x_px"].isna().sum() > 0  # blinks stay missing
    for c in ("x_px", "y_px", "x_deg", "y_deg"):
        np.testing.assert_allclose(sb[c], sa[c], atol=1e-3, equal_nan=True)
    np.testing.assert_allclose(sb["system_time"], sa["system_time"], atol=1e-6)

    q = "SELECT trial_index, name, onset, duration, x_px, y_px FROM events ORDER BY trial_index, onset, name"
    ea, eb = pd.read_sql_query(q, a), pd.read_sql_query(q, b)
    assert list(ea["name"]) == list(eb["name"]) and (ea["name"] == "fixation").sum() > 5
    for c in ("onset", "duration"):
        np.testing.assert_allclose(eb[c], ea[c], atol=1e-6)
    fa, fb = ea[ea["name"] == "fixation"], eb[eb["name"] == "fixation"]
    np.testing.assert_allclose(fb[["x_px", "y_px"]], fa[["x_px", "y_px"]], atol=1e-3)

    cols = "trial_index, stimulus_id, image, condition, practice, fixation_onset, stimulus_onset, stimulus_offset"
    ta = pd.read_sql_query(f"SELECT {cols} FROM trials ORDER BY trial_index", a)
    tb = pd.read_sql_query(f"SELECT {cols} FROM trials ORDER BY trial_index", b)
    pd.testing.assert_frame_equal(ta, tb, atol=1e-6, check_exact=False)
    src = b.execute("SELECT software FROM sessions").fetchone()[0]
    assert "sim01.asc" in src and "source_sha256" in src

    fix_a, scores_a = _analysis(recorded)
    fix_b, scores_b = _analysis(imported)
    assert len(fix_a) == len(fix_b) > 0
    np.testing.assert_allclose(fix_b[["x_img", "y_img"]], fix_a[["x_img", "y_img"]], atol=1e-3)
    key = ["participant", "stimulus_id", "predictor", "metric"]
    m = scores_a.merge(scores_b, on=key, suffixes=("_a", "_b"))
    assert len(m) == len(scores_a) > 0
    np.testing.assert_allclose(m["value_b"], m["value_a"], rtol=1e-6, atol=1e-9)
    assert (m["n_fixations_a"] == m["n_fixations_b"]).all()
