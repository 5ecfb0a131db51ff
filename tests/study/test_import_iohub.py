"""`study import iohub-hdf5`: PsychoPy ioHub datastores.

The fixtures are built here with PyTables in the layout ioHub writes (PsychoPy's
``psychopy/iohub/datastore``: ``/data_collection/events/eyetracker/MonocularEyeSampleEvent`` and
``BinocularEyeSampleEvent``, ``FixationEndEvent``, ``/data_collection/events/experiment/MessageEvent``;
the DeviceEvent columns ``experiment_id, session_id, device_id, event_id, type, device_time,
logged_time, time, confidence_interval, delay, filter_id`` followed by the event's own; gaze in
the window's ``pix`` units, origin at the centre, y up; missing data with pupil 0 and a status)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from .test_import_eyelink import assert_refused, import_command, two_stimulus_study

DEVICE_EVENT = [
    ("experiment_id", "u4"),
    ("session_id", "u4"),
    ("device_id", "u2"),
    ("event_id", "u4"),
    ("type", "u1"),
    ("device_time", "f8"),
    ("logged_time", "f8"),
    ("time", "f8"),
    ("confidence_interval", "f4"),
    ("delay", "f4"),
    ("filter_id", "i2"),
]
MONO = DEVICE_EVENT + [
    ("eye", "u1"),
    ("gaze_x", "f4"),
    ("gaze_y", "f4"),
    ("gaze_z", "f4"),
    ("pupil_measure1", "f4"),
    ("pupil_measure1_type", "u1"),
    ("status", "u1"),
]
BINO = (
    DEVICE_EVENT
    + [
        (f"{eye}_{f}", t)
        for eye in ("left", "right")
        for f, t in (("gaze_x", "f4"), ("gaze_y", "f4"), ("gaze_z", "f4"), ("pupil_measure1", "f4"))
    ]
    + [("status", "u1")]
)
FIX_END = DEVICE_EVENT + [
    ("eye", "u1"),
    ("duration", "f4"),
    ("average_gaze_x", "f4"),
    ("average_gaze_y", "f4"),
]
MESSAGE = DEVICE_EVENT + [("msg_offset", "f4"), ("category", "S32"), ("text", "S128")]


def iohub_hdf5(
    path: Path,
    rate_hz: float = 500.0,
    binocular: bool = False,
    samples: bool = True,
    second_rate_hz: float | None = None,
) -> Path:
    """Two trials (a.png, b.png; 1 s each from t = 10 s, 0.5 s apart), a 0.1 s blink in the first,
    gaze at (-300, 100) then (250, -50) centred pix; one fixation per trial."""
    import tables

    times = []
    t = 10.0
    while t < 12.6:
        times.append(t)
        t += 1.0 / (second_rate_hz if second_rate_hz and len(times) >= 600 else rate_hz)
    times = np.array(times)
    n = len(times)
    gx = np.where(times < 11.25, -300.0, 250.0)
    gy = np.where(times < 11.25, 100.0, -50.0)
    blink = (times >= 10.4) & (times < 10.5)
    pupil = np.where(blink, 0.0, 4.2)
    gx, gy = np.where(blink, 0.0, gx), np.where(blink, 0.0, gy)
    a = np.zeros(n, dtype=BINO if binocular else MONO)
    a["time"], a["device_time"], a["logged_time"] = times, times + 0.007, times
    a["event_id"] = np.arange(n)
    if binocular:
        left_lost = (times >= 11.6) & (times < 11.7)  # the left eye only: the right one is used
        a["left_gaze_x"], a["left_gaze_y"] = np.where(left_lost, 0.0, gx), np.where(left_lost, 0.0, gy)
        a["left_pupil_measure1"] = np.where(left_lost, 0.0, pupil)
        a["right_gaze_x"], a["right_gaze_y"], a["right_pupil_measure1"] = gx + 2, gy, pupil
        a["status"] = np.where(blink, 22, np.where(left_lost, 20, 0))
    else:
        a["gaze_x"], a["gaze_y"], a["pupil_measure1"] = gx, gy, pupil
        a["status"], a["eye"] = np.where(blink, 2, 0), 21
    fix = np.zeros(2, dtype=FIX_END)
    fix["time"], fix["duration"], fix["eye"] = [11.0, 12.2], [0.5, 0.6], 21
    fix["average_gaze_x"], fix["average_gaze_y"] = [-300.0, 250.0], [100.0, -50.0]
    texts = [
        (9.95, "TRIALID 1"),
        (10.0, "stim=stimuli/a.png"),
        (11.0, "TRIAL_END"),
        (11.45, "TRIALID 2"),
        (11.5, "stim=stimuli/b.png"),
        (12.5, "TRIAL_END"),
    ]
    msg = np.zeros(len(texts), dtype=MESSAGE)
    msg["time"] = [tm for tm, _ in texts]
    msg["text"] = [tx.encode() for _, tx in texts]
    msg["category"] = b"EXP"
    with tables.open_file(str(path), "w") as h5:
        eye = h5.create_group("/data_collection/events", "eyetracker", createparents=True)
        exp = h5.create_group("/data_collection/events", "experiment")
        if samples:
            h5.create_table(eye, "BinocularEyeSampleEvent" if binocular else "MonocularEyeSampleEvent", obj=a)
        else:
            h5.create_table(eye, "MonocularEyeSampleEvent", description=np.dtype(MONO))
        h5.create_table(eye, "FixationEndEvent", obj=fix)
        h5.create_table(exp, "MessageEvent", obj=msg)
    return path


study = two_stimulus_study
_import = import_command("iohub-hdf5")


@pytest.mark.parametrize("binocular", [False, True])
def test_iohub_datastore_is_imported(study, tmp_path, capsys, binocular):
    h5 = iohub_hdf5(tmp_path / "P03.hdf5", binocular=binocular)
    db = tmp_path / "db.sqlite"
    code, out = _import(capsys, h5, study, db)
    assert code == 0, out
    assert "no screen resolution" in out
    con = sqlite3.connect(db)
    assert con.execute("SELECT participant, sampling_rate_hz FROM sessions").fetchone() == ("P03", 500.0)
    trials = con.execute(
        "SELECT stimulus_id, stimulus_onset, trial_end, n_samples, n_valid FROM trials"
    ).fetchall()
    assert [t[0] for t in trials] == ["a", "b"]
    assert trials[0][1] == pytest.approx(10.0) and trials[0][2] == pytest.approx(11.0)
    assert trials[0][3] in (500, 501) and trials[0][4] == trials[0][3] - 50  # 10 .. 11 s, 0.1 s blink
    # centred pix (y up) -> screen px (top-left, y down) on the 1920x1080 display
    x, y = con.execute("SELECT x_px, y_px FROM samples WHERE valid=1 AND trial_index=1 LIMIT 1").fetchone()
    assert (x, y) == pytest.approx((660.0, 440.0))
    assert con.execute("SELECT count(*) FROM samples WHERE valid=0 AND x_px IS NOT NULL").fetchone() == (0,)
    fix = con.execute("SELECT trial_index, onset, duration, x_px, y_px FROM events").fetchall()
    assert fix[0] == pytest.approx((1, 10.5, 0.5, 660.0, 440.0))
    assert fix[1] == pytest.approx((2, 11.6, 0.6, 1210.0, 590.0))
    if binocular:  # while the left eye is lost the right one (2 px further right) is used
        xs = con.execute(
            "SELECT x_px FROM samples WHERE system_time >= 11.6 AND system_time < 11.7"
        ).fetchall()
        assert {round(v, 3) for (v,) in xs} == {1212.0}
    assert con.execute("SELECT tracker_time FROM samples LIMIT 1").fetchone()[0] == pytest.approx(10.007)


def test_bad_iohub_files_give_one_line_and_change_nothing(study, tmp_path, capsys):
    db = tmp_path / "db.sqlite"
    assert _import(capsys, iohub_hdf5(tmp_path / "ok.hdf5"), study, db)[0] == 0
    not_hdf5 = tmp_path / "notes.hdf5"
    not_hdf5.write_text("time\tx\ty\n")
    cases = [
        (not_hdf5, "notes.hdf5: byte 0: not an HDF5 file: expected a PsychoPy ioHub datastore"),
        (
            iohub_hdf5(tmp_path / "empty.hdf5", samples=False),
            "empty.hdf5: no gaze events: expected rows in /data_collection/events/eyetracker/MonocularEyeSampleEvent",
        ),
        (
            iohub_hdf5(tmp_path / "rate.hdf5", second_rate_hz=250.0),
            "rate.hdf5: /data_collection/events/eyetracker/MonocularEyeSampleEvent row 600: the sampling rate "
            "changes from 500 Hz to 250 Hz",
        ),
    ]
    assert_refused(capsys, _import, cases, study, db)
