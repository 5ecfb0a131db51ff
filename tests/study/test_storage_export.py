"""Storage transactions and the BIDS-like export (read back with pandas and pymovements)."""

from __future__ import annotations

import gzip
import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

from gazefusion.geometry import DisplayGeometry
from study.config import StudyConfig
from study.export import PHYSIO_COLUMNS, export_study, load_gaze, read_physio
from study.simulate import simulate_participants
from study.storage import StudyStore, TrialRecord
from study.trackers.base import SampleBlock

GEOM = DisplayGeometry(width_px=320, height_px=240, width_cm=30.0, distance_cm=60.0)


def _record(index, n=5, fail=False):
    t = np.arange(n) / 1000.0
    spec = {
        "index": index,
        "stimulus_id": "s",
        "image": "s.png",
        "smap": "",
        "condition": "",
        "item": "",
        "practice": False,
    }
    timing = {"stimulus_onset": 0.0} if not fail else {"no_such_column": 1}
    return TrialRecord(spec, timing, SampleBlock(t, t, t * 0 + 10, t * 0 + 20, t * 0 + 3, np.ones(n, bool)))


def test_wal_full_sync_and_all_or_nothing_trials(tmp_path):
    db = tmp_path / "s.sqlite"
    with StudyStore(db) as store:
        assert store.con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        sid, done = store.start_session(
            "P1",
            "1",
            plan=[],
            config={},
            tracker={"sampling_rate_hz": 1000},
            display=GEOM.to_json(),
            software={},
            resume=False,
        )
        store.write_trial(sid, _record(0), GEOM)
        with pytest.raises(sqlite3.OperationalError):  # the trial row fails after the samples went in
            store.write_trial(sid, _record(1, fail=True), GEOM)
    con = sqlite3.connect(db)
    assert con.execute("SELECT trial_index, count(*) FROM samples GROUP BY trial_index").fetchall() == [
        (0, 5)
    ]
    assert con.execute("SELECT count(*) FROM trials").fetchone() == (1,)
    # degrees are stored through DisplayGeometry
    x_deg = con.execute("SELECT x_deg FROM samples LIMIT 1").fetchone()[0]
    assert x_deg == pytest.approx(GEOM.pos_px_to_deg(np.array([10.0]), np.array([20.0]))[0][0])


def test_export_layout_and_reload(make_study, tmp_path):
    cfg = StudyConfig.from_file(make_study())
    db = tmp_path / "sim.sqlite"
    simulate_participants(cfg, db, ["sim01", "sim-02"])
    prefixes = export_study(db, tmp_path / "bids")
    assert [p.name for p in prefixes] == ["sub-sim01_ses-1_task-freeview", "sub-sim02_ses-1_task-freeview"]
    p = prefixes[1]
    assert p.parent == tmp_path / "bids" / "sub-sim02" / "ses-1" / "eyetrack"
    sidecar = json.loads(p.with_name(p.name + "_physio.json").read_text())
    assert sidecar["SamplingFrequency"] == 1000.0 and sidecar["Columns"] == PHYSIO_COLUMNS
    assert sidecar["ScreenResolution"] == [320, 240] and sidecar["ScreenDistance"] == pytest.approx(0.6)
    # the physio file has no header row (BIDS); every stored sample is there
    with gzip.open(p.with_name(p.name + "_physio.tsv.gz"), "rt") as fh:
        assert not fh.readline().startswith("timestamp")
    phys = read_physio(p)
    con = sqlite3.connect(db)
    n_db = con.execute(
        "SELECT count(*) FROM samples s JOIN sessions e ON e.id=s.session_id WHERE e.participant='sim-02'"
    ).fetchone()[0]
    assert len(phys) == n_db and phys["timestamp"].iloc[0] == 0.0
    assert pd.read_parquet(p.with_name(p.name + "_samples.parquet")).shape == phys.shape
    events = pd.read_csv(p.with_name(p.name + "_events.tsv"), sep="\t")
    assert len(events) == 4 and (events["duration"].round(6) == 0.3).all()
    assert set(events.loc[~events["practice"].astype(bool), "trial_type"]) == {"blob_left", "blob_right"}
    frames = pd.read_csv(p.with_name(p.name + "_frames.tsv.gz"), sep="\t")
    assert set(frames["phase"]) == {"fixation", "stimulus", "iti"}
    cal = json.loads(p.with_name(p.name + "_calibration.json").read_text())
    assert cal[0]["kind"] == "validation" and len(cal[0]["points"]) == 9
    assert (tmp_path / "bids" / "participants.tsv").read_text().count("sub-sim0") == 2
    # pymovements: a Gaze with the experiment geometry, trials and pixel columns
    gaze = load_gaze(p)
    assert gaze.experiment.screen.width_px == 320 and gaze.experiment.sampling_rate == 1000.0
    assert gaze.samples.height == len(phys)
    gaze.pix2deg()
    gaze.pos2vel()
    assert "velocity" in gaze.samples.columns
