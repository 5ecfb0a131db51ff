"""Real PsychoPy windows (under Xvfb): whole sessions, kill -9 and resume, timing log, screenshot."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image
from testsupport import query_db as _q

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY"), reason="needs an X display: run the tests under xvfb-run"
    ),
]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "gazefusion", "study", *args]


def _env():
    return {**os.environ, "SDL_AUDIODRIVER": "dummy", "HF_HUB_OFFLINE": "1"}


def test_simulated_session_in_a_window_with_screenshot(make_study, tmp_path):
    cfg = make_study()
    db, shot = tmp_path / "s.sqlite", tmp_path / "screen.png"
    r = subprocess.run(
        _cli("run", str(cfg), "-p", "P01", "--windowed", "--db", str(db), "--screenshot", str(shot)),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "session complete: 4/4" in " ".join(r.stdout.split())
    rows = _q(
        db,
        "SELECT trial_index, n_stimulus_frames, stimulus_offset - stimulus_onset, n_frames, n_samples, "
        "frame_interval_mean_s FROM trials ORDER BY trial_index",
    )
    assert len(rows) == 4
    for _, n_stim, dur, _n_frames, n_samples, mean_iv in rows:
        assert n_stim >= 1 and dur >= 0.3 - 0.5 / 60  # flip-timed, never shorter than asked
        assert n_samples >= 0.45 * 1000  # fixation + stimulus + ITI at 1 kHz
        assert 0.5 / 60 < mean_iv < 0.2  # paced to ~60 Hz, not thousands of flips/s (no vsync under Xvfb)
    # real-time simulated tracker at 1 kHz: no gaps in any trial's sample grid
    for (idx,) in _q(db, "SELECT trial_index FROM trials"):
        t = np.array(
            [r[0] for r in _q(db, f"SELECT system_time FROM samples WHERE trial_index={idx} ORDER BY 1")]
        )
        np.testing.assert_allclose(np.diff(t), 1e-3, atol=1e-9)
    # timing log: every flip, per phase
    assert _q(db, "SELECT count(*) FROM frames")[0][0] == sum(r[3] for r in rows)
    # the screenshot shows the first main stimulus at the screen centre
    (image, left, top, w, h) = _q(
        db,
        "SELECT image, stim_left, stim_top, stim_width, stim_height FROM trials "
        "WHERE practice=0 ORDER BY trial_index LIMIT 1",
    )[0]
    screen = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert screen.shape == (240, 320, 3)
    crop = screen[int(top) : int(top + h), int(left) : int(left + w)]
    stim = np.asarray(Image.open(cfg.parent / image).convert("RGB"), dtype=float)
    assert np.abs(crop - stim).mean() < 8
    assert np.abs(screen[:20, :20] - 128).max() <= 1  # grey background around it


def test_mouse_session_in_a_window(make_study, tmp_path):
    cfg = make_study()
    db = tmp_path / "m.sqlite"
    r = subprocess.run(
        _cli("run", str(cfg), "-p", "P02", "--windowed", "--db", str(db), "--tracker", "mouse"),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert _q(db, "SELECT status FROM calibrations") == [("skipped",)]
    n = _q(db, "SELECT count(*), sum(valid) FROM samples")[0]
    assert n[0] > 0 and n[0] == n[1]  # one valid mouse sample per frame
    assert _q(db, "SELECT status FROM sessions") == [("complete",)]


def test_kill_9_loses_at_most_the_trial_in_progress_and_resume_completes(make_study, tmp_path):
    cfg = make_study(items=("a", "b", "c", "d", "e"))
    db = tmp_path / "k.sqlite"
    proc = subprocess.Popen(
        _cli("run", str(cfg), "-p", "P01", "--windowed", "--db", str(db)),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            if (
                db.exists()
                and _q(db, "SELECT name FROM sqlite_master WHERE name='trials'")
                and _q(db, "SELECT count(*) FROM trials")[0][0] >= 2
            ):
                break
            assert proc.poll() is None, "session ended before it could be killed"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    done = {i for (i,) in _q(db, "SELECT trial_index FROM trials")}
    assert 2 <= len(done) < 6 and done == set(range(len(done)))
    # nothing of the trial in progress is stored, and nothing of a stored trial is missing
    assert {i for (i,) in _q(db, "SELECT DISTINCT trial_index FROM samples")} == done
    assert _q(
        db,
        "SELECT count(*) FROM trials t WHERE n_samples != (SELECT count(*) FROM samples s "
        "WHERE s.session_id=t.session_id AND s.trial_index=t.trial_index)",
    ) == [(0,)]
    assert _q(db, "SELECT status FROM sessions") == [("running",)]
    r = subprocess.run(
        _cli("run", str(cfg), "-p", "P01", "--windowed", "--db", str(db), "--resume"),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert _q(db, "SELECT count(*), count(DISTINCT trial_index) FROM trials") == [(6, 6)]
    assert _q(db, "SELECT status FROM sessions") == [("complete",)]
    assert _q(db, "SELECT count(DISTINCT trial_index) FROM samples") == [(6,)]


def test_iohub_adapter_with_iohub_mouse_gaze(tmp_path):
    """The ioHub adapter end to end, with ioHub's own mouse-driven eye tracker (no hardware).

    The mouse is moved to two places (ioHub display coordinates: pixels from the centre, y up); the
    samples must sit there in screen pixels (top-left, y down) and, as stored, in degrees.
    """
    from gazefusion.geometry import DisplayGeometry
    from study.display import PsychoPyDisplay
    from study.storage import StudyStore, TrialRecord
    from study.trackers import get_tracker
    from study.trackers.base import SampleBlock

    geometry = DisplayGeometry(width_px=320, height_px=240, width_cm=30.0, distance_cm=60.0)
    display = PsychoPyDisplay(geometry, fullscr=False)
    tracker = get_tracker("iohub.eyetracker.hw.mouse.EyeTracker", 1000)
    targets = [(80, 60), (-100, -30)]  # ioHub mouse positions
    recorded = []
    try:
        tracker.setup(display)
        mouse = tracker._io.devices.mouse
        tracker.start_recording()
        for target in targets:
            mouse.setPosition(target)
            blocks = []
            start = display.clock()
            while display.clock() - start < 0.4:
                display.flip()
                blocks.append(tracker.poll().samples)
            recorded.append(SampleBlock.concat(blocks))
        tracker.stop_recording()
    finally:
        tracker.close()
        display.close()
    t = np.concatenate([b.system_time for b in recorded])
    assert np.all(np.diff(t) > 0)
    db = tmp_path / "s.sqlite"
    with StudyStore(db) as store:
        sid, _ = store.start_session(
            "P1",
            "1",
            plan=[],
            config={},
            tracker={"sampling_rate_hz": 1000},
            display=geometry.to_json(),
            software={},
            resume=False,
        )
        for i, block in enumerate(recorded):
            spec = {"index": i, "stimulus_id": f"s{i}", "image": "", "smap": "", "condition": "", "item": ""}
            store.write_trial(sid, TrialRecord({**spec, "practice": False}, {}, block), geometry)
    cm_per_px = 30.0 / 320
    for i, (mx, my) in enumerate(targets):
        block = recorded[i]
        assert len(block) > 5 and block.valid.all()
        # once the move has reached the tracker, the gaze is where the mouse is: (160 + mx, 120 - my)
        settled = slice(len(block) // 2, None)
        np.testing.assert_allclose(block.x_px[settled], 160 + mx)
        np.testing.assert_allclose(block.y_px[settled], 120 - my)
        stored = np.array(
            _q(db, f"SELECT x_deg, y_deg FROM samples WHERE trial_index = {i} ORDER BY system_time")
        )
        expected = np.degrees(np.arctan(np.array([mx, my]) * cm_per_px / 60.0))  # from the centre, y up
        np.testing.assert_allclose(stored[settled], np.broadcast_to(expected, stored[settled].shape))
