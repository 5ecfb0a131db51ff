"""Whole sessions on the virtual display: procedure, timing, pauses, calibration, resume."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from gazefusion.errors import UserInputError
from study.config import StudyConfig
from study.display import VirtualDisplay
from study.session import Session
from study.simulate import simulate_participants
from study.storage import StudyStore
from study.trackers import get_tracker


def _run(cfg, db, participant="P01", keys=(), responses=(), resume=False, **tracker):
    with StudyStore(db) as store:
        trk = get_tracker("simulated", cfg.tracker.sampling_rate_hz, **{"seed": 1, **tracker})
        return Session(
            cfg,
            store,
            VirtualDisplay(cfg.display, key_events=keys, responses=responses),
            trk,
            participant,
            resume=resume,
        ).run()


def _rows(db, sql):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_whole_session_records_everything(make_study, tmp_path):
    cfg = StudyConfig.from_file(make_study())
    db = tmp_path / "s.sqlite"
    res = _run(cfg, db)
    assert res.status == "complete" and res.trials_complete == res.trials_total == 4
    trials = _rows(
        db,
        "SELECT trial_index, n_stimulus_frames, stimulus_offset - stimulus_onset, n_samples,"
        " trial_end - fixation_onset, n_dropped FROM trials ORDER BY trial_index",
    )
    period = 1 / 60
    for _idx, n_stim, dur, _n_samples, _, dropped in trials:
        # 18 frames, measured by flip times
        assert n_stim == round(0.3 / period) and dur == pytest.approx(0.3, abs=1e-9)
        assert dropped == 0
    # samples: contiguous at exactly 1 kHz within each trial, none lost
    for idx, *_ in trials:
        t = np.array(
            [
                r[0]
                for r in _rows(
                    db, f"SELECT system_time FROM samples WHERE trial_index={idx} ORDER BY system_time"
                )
            ]
        )
        np.testing.assert_allclose(np.diff(t), 1e-3, atol=1e-9)
    # tracker clock = system clock + the simulated offset
    (d,) = _rows(db, "SELECT DISTINCT round(tracker_time - system_time, 6) FROM samples")
    assert d[0] == 1000.0
    msgs = [m for (m,) in _rows(db, "SELECT text FROM messages WHERE trial_index=1 ORDER BY system_time")]
    assert (
        msgs[0].startswith("TRIALID 1")
        and msgs[1:3] == ["FIXATION_ONSET", msgs[2]]
        and "TRIAL_END" in msgs[-1]
    )
    # messages carry the flip times stored in the trial row
    (onset,) = _rows(db, "SELECT stimulus_onset FROM trials WHERE trial_index=1")
    (m_onset,) = _rows(db, "SELECT system_time FROM messages WHERE trial_index=1 AND text LIKE 'STIM_ONSET%'")
    assert onset == m_onset
    kinds = _rows(db, "SELECT kind, passed FROM calibrations ORDER BY id")
    assert kinds[0] == ("validation", 1) and ("drift", 1) in kinds
    assert _rows(db, "SELECT count(*) FROM events WHERE name='fixation'")[0][0] > 4
    phases = {p for (p,) in _rows(db, "SELECT DISTINCT phase FROM frames")}
    assert phases == {"fixation", "stimulus", "iti"}


def _left_share(db) -> float:
    """Share of valid main-trial stimulus samples on the left half of the stimulus."""
    ((left, width),) = _rows(db, "SELECT stim_left, stim_width FROM trials WHERE practice=0")
    x = np.array(
        [
            r[0]
            for r in _rows(
                db,
                "SELECT s.x_px FROM samples s JOIN trials t USING (session_id, trial_index)"
                " WHERE t.practice=0 AND s.valid=1 AND s.system_time > t.stimulus_onset"
                " AND s.system_time < t.stimulus_offset",
            )
        ]
    )
    return float(np.mean(x < left + width / 2))


def test_gaze_follows_the_image_not_the_target_smap(make_study, tmp_path):
    """The example image for blob_left shows its salient target on the left: gaze goes there.
    With that image replaced by the blob_right one (target smap unchanged), gaze goes right,
    unless the observer is explicitly planted on the target smap."""
    import shutil

    cfg_path = make_study(items=("a",), trials={"stimulus_s": 40.0})
    cfg = StudyConfig.from_file(cfg_path)
    (cond,) = _rows_of(cfg, tmp_path / "s.sqlite")
    assert cond == "blob_left"  # row 0: item a in blob_left
    assert _left_share(tmp_path / "s.sqlite") > 0.55
    stim = cfg_path.parent / "stimuli"
    shutil.copy(stim / "a_blob_right.png", stim / "a_blob_left.png")
    _run(cfg, tmp_path / "swapped.sqlite", participant="P00", accuracy_offset_deg=0.0)
    assert _left_share(tmp_path / "swapped.sqlite") < 0.45
    _run(
        cfg, tmp_path / "planted.sqlite", participant="P00", accuracy_offset_deg=0.0, observer_mode="planted"
    )
    assert _left_share(tmp_path / "planted.sqlite") > 0.6
    ((settings,),) = _rows(tmp_path / "planted.sqlite", "SELECT tracker FROM sessions")
    assert '"observer_mode": "planted"' in settings
    with pytest.raises(UserInputError, match="observer_mode"):
        get_tracker("simulated", 1000.0, observer_mode="target")


def _rows_of(cfg, db):
    _run(cfg, db, participant="P00", accuracy_offset_deg=0.0)
    return [c for (c,) in _rows(db, "SELECT condition FROM trials WHERE practice=0")]


def test_escape_pauses_continue_restarts_trial(make_study, tmp_path):
    cfg = StudyConfig.from_file(make_study())
    db = tmp_path / "s.sqlite"
    # calibration takes 9 targets x 6 frames; press Escape during the first trial, then "c"
    res = _run(cfg, db, keys=[(70, "escape")], responses=["c"])
    assert res.status == "complete"
    restarts = [r for (r,) in _rows(db, "SELECT restarts FROM trials ORDER BY trial_index")]
    assert restarts[0] == 1 and sum(restarts) == 1
    assert _rows(db, "SELECT count(DISTINCT trial_index) FROM samples")[0][0] == 4


def test_quit_then_resume_completes(make_study, tmp_path):
    cfg = StudyConfig.from_file(make_study())
    db = tmp_path / "s.sqlite"
    res = _run(cfg, db, keys=[(140, "escape")], responses=["q"])
    assert res.status == "stopped" and 0 < res.trials_complete < 4
    done = res.trials_complete
    # the interrupted trial left nothing behind
    assert {i for (i,) in _rows(db, "SELECT DISTINCT trial_index FROM samples")} == set(range(done))
    with pytest.raises(UserInputError, match="--resume"):
        _run(cfg, db)
    res2 = _run(cfg, db, resume=True)
    assert res2.status == "complete" and res2.trials_run == 4 - done and res2.trials_complete == 4
    assert _rows(db, "SELECT count(*), count(DISTINCT trial_index) FROM trials") == [(4, 4)]


def test_failed_validation_recalibrates_then_continues_or_aborts(make_study, tmp_path):
    cfg = StudyConfig.from_file(make_study(calibration={"max_attempts": 2}))
    db = tmp_path / "s.sqlite"
    res = _run(cfg, db, accuracy_offset_deg=3.0)  # 3 deg > 1 deg threshold: never passes
    assert res.status == "complete"
    rows = _rows(db, "SELECT attempt, passed, mean_error_deg FROM calibrations WHERE kind='validation'")
    assert [(a, p) for a, p, _ in rows[:2]] == [(1, 0), (2, 0)]
    assert rows[0][2] == pytest.approx(3.0, abs=0.2)
    abort = cfg.replace(
        calibration=type(cfg.calibration)(**{**cfg.calibration.__dict__, "abort_on_failure": True})
    )
    res = _run(abort, tmp_path / "a.sqlite", accuracy_offset_deg=3.0)
    assert res.status == "calibration_failed" and res.trials_complete == 0


def test_resume_refuses_a_changed_config(make_study, tmp_path):
    path = make_study()
    cfg = StudyConfig.from_file(path)
    db = tmp_path / "s.sqlite"
    _run(cfg, db, keys=[(140, "escape")], responses=["q"])
    changed = cfg.replace(design=type(cfg.design)(seed=cfg.design.seed + 1, counterbalance="latin_square"))
    with pytest.raises(UserInputError, match="config changed"):
        _run(changed, db, resume=True)


def test_simulate_many_participants_is_resumable(make_study, tmp_path):
    cfg = StudyConfig.from_file(make_study())
    db = tmp_path / "sim.sqlite"
    first = simulate_participants(cfg, db, ["sim01", "sim02"])
    again = simulate_participants(cfg, db, ["sim01", "sim02", "sim03"])
    assert [r.status for r in first] == ["complete"] * 2 and len(again) == 1
    assert _rows(db, "SELECT count(*) FROM sessions WHERE status='complete'") == [(3,)]
    # different participants: different gaze
    x = _rows(db, "SELECT session_id, avg(x_px) FROM samples GROUP BY session_id")
    assert len({round(v, 3) for _, v in x}) == 3
