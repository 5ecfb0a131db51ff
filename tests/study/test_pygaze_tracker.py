"""The PyGaze adapter with PyGaze's own dummy trackers, on the runner's PsychoPy window (Xvfb)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib

import numpy as np
import pytest
import tomli_w
from testsupport import query_db as _q

from gazefusion.cli import main
from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry
from study.trackers import available_trackers, check_tracker_name, get_tracker
from study.trackers.pygaze import PYGAZE_TRACKERS, _valid_position

needs_display = pytest.mark.skipif(
    not os.environ.get("DISPLAY"), reason="needs an X display: run the tests under xvfb-run"
)
GEOMETRY = DisplayGeometry(width_px=320, height_px=240, width_cm=30.0, distance_cm=60.0, refresh_hz=60.0)


# -- registry and settings (no window) -------------------------------------------------------
def test_every_pygaze_tracker_type_is_a_known_name():
    from pygaze.eyetracker import EyeTracker

    for device in PYGAZE_TRACKERS:
        check_tracker_name(f"pygaze.{device}")
        assert f"pygaze.{device}" in available_trackers()
    # the types PyGaze itself accepts (its EyeTracker's error message lists them)
    with pytest.raises(Exception, match="not recognized") as exc:
        EyeTracker(None, trackertype="no-such-tracker")
    listed = ast.literal_eval(str(exc.value).split("one of")[1].strip())
    assert set(PYGAZE_TRACKERS) == set(listed)


@pytest.mark.parametrize("name", ["pygaze.eyelonk", "pygaze.", "pygaze"])
def test_unknown_pygaze_names_list_the_known_ones(name):
    with pytest.raises(UserInputError, match=r"unknown tracker .*pygaze\.\{eyelink,.*dummy"):
        check_tracker_name(name)


@pytest.mark.parametrize("key", ["DISPSIZE", "SCREENDIST", "TRACKERTYPE", "DUMMYMODE"])
def test_settings_that_come_from_the_display_or_the_name_are_refused(key):
    with pytest.raises(UserInputError, match=f"must not set \\['{key}'\\]"):
        get_tracker("pygaze.eyelink", 1000, **{key: 1})


def test_setup_without_a_window_is_a_user_error():
    from study.display import VirtualDisplay

    with pytest.raises(UserInputError, match="'pygaze.dummy' needs a window"):
        get_tracker("pygaze.dummy").setup(VirtualDisplay(GEOMETRY))


@pytest.mark.parametrize(
    ("x", "y", "valid"),
    [
        pytest.param(12.5, 30.0, True, id="on-screen"),
        pytest.param(-1, 40, True, id="one-coordinate-minus-one"),
        pytest.param(-1, -1, False, id="pygaze-no-sample"),
        pytest.param(None, None, False, id="none"),
        pytest.param(float("nan"), 3.0, False, id="nan"),
        pytest.param(-32768.0, 100.0, False, id="eyelink-missing-data"),
    ],
)
def test_valid_position(x, y, valid):
    assert _valid_position(x, y) is valid


@pytest.mark.parametrize("name", ["pygaze.dummy", "pygaze.dumbdummy", "pygaze.eyelink", "pygaze.tobii"])
def test_study_check_accepts_pygaze_trackers(make_study, capsys, name):
    cfg = make_study(tracker=name)
    with pytest.raises(SystemExit) as exc:
        main(["study", "check", str(cfg)])
    out = capsys.readouterr().out
    assert (exc.value.code or 0) == 0, out
    assert f"tracker {name} at 1000 Hz" in out and "config OK" in out


def test_study_check_refuses_an_unknown_pygaze_type(make_study, capsys):
    cfg = make_study(tracker="pygaze.eyelonk")
    with pytest.raises(SystemExit) as exc:
        main(["study", "check", str(cfg)])
    assert exc.value.code == 2
    assert "unknown tracker 'pygaze.eyelonk'" in capsys.readouterr().err


# -- PyGaze's dummy trackers on a real window ---------------------------------------------------
@pytest.fixture
def window():
    from study.display import PsychoPyDisplay

    display = PsychoPyDisplay(GEOMETRY, fullscr=False, background=(100, 110, 120))
    yield display
    display.close()


@pytest.mark.gui
@needs_display
def test_dummy_lifecycle_follows_the_mouse_on_the_shared_window(window):
    import pygaze
    from psychopy import core, event

    tracker = get_tracker("pygaze.dummy", 1000, SACCVELTHRESH=40, LOGFILENAME="pilot")
    try:
        tracker.setup(window)
        # one window: PyGaze draws on ours; its settings describe our display
        assert pygaze.expdisplay is window.win and len(core.openWindows) == 1
        assert pygaze.settings.DISPSIZE == (320, 240) and pygaze.settings.SCREENDIST == 60.0
        assert pygaze.settings.BGC == (100, 110, 120)  # PyGaze screens match the study background
        assert pygaze.settings.SACCVELTHRESH == 40 and pygaze.settings.LOGFILENAME == "pilot"
        assert tracker.sampling_rate_hz == 60.0 and tracker.describe()["device_sampling_rate_hz"] == 1000.0
        tracker.calibrate(window)
        assert tracker.poll().samples.x_px.size == 0  # nothing before recording
        tracker.start_recording()
        mouse = event.Mouse(win=window.win)
        # window coordinates (pixels, centre origin, y up) -> screen pixels (top-left, y down)
        targets = [(-100, 50), (0, 0), (120, -90)]
        blocks, seen = [], []
        for wx, wy in targets:
            mouse.setPos((wx, wy))
            before = window.clock()
            window.flip()
            data = tracker.poll()
            assert before <= data.samples.system_time[0] <= window.clock()
            assert data.events == []
            blocks.append(data.samples)
            seen.append(mouse.getPos())  # pyglet's pointer warp may land 1 px off the target
        tracker.send_message("TRIALID 0 test")
        # PyGaze's dummy blink: the right mouse button held moves the gaze off; the sample is invalid
        event.mouseButtons = [0, 0, 1]
        blink = tracker.poll().samples
        event.mouseButtons = [0, 0, 0]
        after = tracker.poll().samples
        tracker.stop_recording()
        assert len(tracker.poll().samples) == 0
    finally:
        tracker.close()
    tracker.close()  # idempotent
    assert pygaze.expdisplay is None
    for block in (*blocks, blink, after):  # the runner's format: one sample per poll, float arrays
        assert len(block) == 1 and block.valid.dtype == bool
        assert all(a.shape == (1,) for a in (block.tracker_time, block.x_px, block.y_px, block.pupil))
        np.testing.assert_array_equal(block.tracker_time, block.system_time)
    got = np.array([(b.x_px[0], b.y_px[0]) for b in blocks])
    np.testing.assert_allclose(got, [(mx + 160, 120 - my) for mx, my in seen])
    np.testing.assert_allclose(got, [(wx + 160, 120 - wy) for wx, wy in targets], atol=1)
    assert all(b.valid[0] and b.pupil[0] == 19 for b in blocks)  # PyGaze's dummy pupil size
    assert not blink.valid[0] and np.isnan(blink.x_px[0]) and blink.pupil[0] == 0
    assert after.valid[0] and (after.x_px[0], after.y_px[0]) == tuple(got[-1])  # back where it was


@pytest.mark.gui
@needs_display
def test_dumbdummy_gives_pygaze_fixed_position(window):
    tracker = get_tracker("pygaze.dumbdummy")
    try:
        tracker.setup(window)
        tracker.calibrate(window)
        tracker.start_recording()
        window.flip()
        s = tracker.poll().samples
        tracker.stop_recording()
    finally:
        tracker.close()
    assert s.valid[0] and (s.x_px[0], s.y_px[0]) == (19, 19)  # PyGaze's DumbDummy.sample()


@pytest.mark.gui
@needs_display
def test_whole_session_with_pygaze_dummy_stores_one_sample_per_frame(make_study, tmp_path):
    cfg = make_study(
        items=("a", "b"),
        tracker="pygaze.dummy",
        calibration={"points": 3, "max_attempts": 1, "drift_check_every": 0},
    )
    data = tomllib.loads(cfg.read_text())
    data["tracker"]["settings"] = {"EYELINKCALBEEP": False}  # a PyGaze setting travels along
    cfg.write_text(tomli_w.dumps(data))
    db = tmp_path / "pg.sqlite"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "gazefusion",
            "study",
            "run",
            str(cfg),
            "-p",
            "P01",
            "--windowed",
            "--db",
            str(db),
        ],
        env={**os.environ, "SDL_AUDIODRIVER": "dummy", "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "session complete: 3/3" in " ".join(r.stdout.split())
    assert "pygame community" not in r.stdout  # pygame's banner is hidden
    (status, tracker_json, rate) = _q(db, "SELECT status, tracker, sampling_rate_hz FROM sessions")[0]
    tracker = json.loads(tracker_json)
    assert status == "complete" and rate == 60.0  # the rate of the stored samples: one per frame
    assert tracker["name"] == "pygaze.dummy" and tracker["device_sampling_rate_hz"] == 1000.0
    assert tracker["settings"] == {"EYELINKCALBEEP": False}
    rows = _q(
        db,
        "SELECT t.trial_index, t.n_frames, t.n_samples, (SELECT count(*) FROM samples s "
        "WHERE s.session_id=t.session_id AND s.trial_index=t.trial_index) FROM trials t",
    )
    assert len(rows) == 3
    for _, n_frames, n_samples, stored in rows:
        assert n_frames > 0 and n_samples == stored == n_frames  # a poll after every flip
    x, y, pupil = np.array(_q(db, "SELECT x_px, y_px, pupil FROM samples WHERE valid=1"), dtype=float).T
    assert x.size == sum(r[2] for r in rows)  # the mouse stayed on screen: all valid
    assert np.all((0 <= x) & (x <= 320) & (0 <= y) & (y <= 240)) and np.all(pupil == 19)
    (cal_status, n_points) = _q(db, "SELECT status, json_array_length(points) FROM calibrations")[0]
    assert cal_status == "ok" and n_points == 3  # validated by the session like any tracker
