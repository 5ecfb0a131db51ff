"""`study import tobii-tsv`: Tobii Pro Lab "Data export" TSV files.

The fixtures are built here from Pro Lab's published export format (Tobii Pro Lab user manual,
"Data export": one row per gaze sample and per event, tab-separated, a unit in brackets after
the column name, ``Sensor`` = ``Eye Tracker`` on gaze rows, ``Presented Media name`` while a
stimulus is shown, ``Eye movement type``/``Eye movement type index`` from the I-VT filter)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from .test_import_eyelink import assert_refused, import_command, two_stimulus_study

COLUMNS = [
    "Recording timestamp [μs]",
    "Computer timestamp [μs]",
    "Sensor",
    "Participant name",
    "Recording name",
    "Recording resolution height",
    "Recording resolution width",
    "Eyetracker timestamp [μs]",
    "Event",
    "Event value",
    "Gaze point X [DACS px]",
    "Gaze point Y [DACS px]",
    "Pupil diameter left [mm]",
    "Pupil diameter right [mm]",
    "Validity left",
    "Validity right",
    "Presented Stimulus name",
    "Presented Media name",
    "Eye movement type",
    "Gaze event duration [ms]",
    "Eye movement type index",
    "Fixation point X [DACS px]",
    "Fixation point Y [DACS px]",
]


def pro_lab_tsv(
    path: Path,
    rate_hz: float = 250.0,
    second_rate_hz: float | None = None,
    resolution=(1920, 1080),
    drop: tuple[str, ...] = (),
    decimal: str = ".",
    second_recording: bool = False,
) -> Path:
    """Two trials (a.png, b.png, 1 s each, 0.4 s apart), a blink of 0.1 s in the first; one
    fixation per trial. Times start at 0 μs."""
    rows = []
    t, n = 0.0, 0

    def fmt(v: float) -> str:
        return f"{v:.4f}".replace(".", decimal)

    plan = [("", 0.2), ("a", 1.0), ("", 0.4), ("b", 1.0), ("", 0.2)]
    fix_index = 0
    for stim, dur in plan:
        if stim:
            rows.append(
                {
                    "Recording timestamp [μs]": f"{int(t * 1e6)}",
                    "Event": "ImageStimulusStart",
                    "Event value": stim,
                }
            )
            fix_index += 1
        end = t + dur
        while t < end - 1e-9:
            rate = second_rate_hz if (second_rate_hz and n >= 300) else rate_hz
            blink = stim == "a" and 0.5 <= t - 0.2 < 0.6
            fixating = bool(stim) and not blink
            x, y = (600.0 + 3 * np.sin(n), 500.0) if stim == "a" else (1300.0, 400.0 + 3 * np.cos(n))
            row = {
                "Recording timestamp [μs]": f"{int(round(t * 1e6))}",
                "Computer timestamp [μs]": f"{int(round(t * 1e6)) + 123456789}",
                "Sensor": "Eye Tracker",
                "Participant name": "P07",
                "Recording name": "Recording7",
                "Recording resolution height": str(resolution[1]),
                "Recording resolution width": str(resolution[0]),
                "Eyetracker timestamp [μs]": f"{int(round(t * 1e6)) + 5_000_000}",
                "Gaze point X [DACS px]": "" if blink else fmt(x),
                "Gaze point Y [DACS px]": "" if blink else fmt(y),
                "Pupil diameter left [mm]": "" if blink else fmt(3.1),
                "Pupil diameter right [mm]": "" if blink else fmt(3.3),
                "Validity left": "Invalid" if blink else "Valid",
                "Validity right": "Invalid" if blink else "Valid",
                "Presented Stimulus name": stim,
                "Presented Media name": f"{stim}.png" if stim else "",
                "Eye movement type": "Fixation"
                if fixating
                else ("EyesNotFound" if blink else "Unclassified"),
                "Gaze event duration [ms]": "300" if fixating else "100",
                "Eye movement type index": str(fix_index) if fixating else "1",
                "Fixation point X [DACS px]": fmt(600.0 if stim == "a" else 1300.0) if fixating else "",
                "Fixation point Y [DACS px]": fmt(500.0 if stim == "a" else 400.0) if fixating else "",
            }
            rows.append(row)
            t += 1.0 / rate
            n += 1
    if second_recording:
        for r in rows[len(rows) // 2 :]:
            if r.get("Sensor"):
                r["Recording name"] = "Recording8"
    cols = [c for c in COLUMNS if not any(c.startswith(d) for d in drop)]
    lines = ["\t".join(cols)] + ["\t".join(r.get(c, "") for c in cols) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


study = two_stimulus_study
_import = import_command("tobii-tsv")


@pytest.mark.parametrize("decimal", [".", ","])
def test_pro_lab_export_is_imported(study, tmp_path, capsys, decimal):
    tsv = pro_lab_tsv(tmp_path / "P07.tsv", decimal=decimal)
    db = tmp_path / "db.sqlite"
    code, out = _import(capsys, tsv, study, db)
    assert code == 0, out
    con = sqlite3.connect(db)
    assert con.execute("SELECT participant, sampling_rate_hz, status FROM sessions").fetchone() == (
        "P07",
        250.0,
        "complete",
    )
    trials = con.execute(
        "SELECT trial_index, stimulus_id, stimulus_onset, stimulus_offset, n_samples FROM trials"
    ).fetchall()
    assert [(i, s) for i, s, *_ in trials] == [(0, "a"), (1, "b")]
    assert trials[0][2] == pytest.approx(0.2) and trials[0][3] == pytest.approx(1.2)
    assert trials[0][4] == 250 and trials[1][4] == 250
    # the blink: invalid rows stay missing
    lost = con.execute(
        "SELECT count(*), sum(x_px IS NULL), sum(x_deg IS NULL) FROM samples WHERE valid=0"
    ).fetchone()
    assert lost == (25, 25, 25)
    x, pupil = con.execute("SELECT x_px, pupil FROM samples WHERE valid=1 LIMIT 1").fetchone()
    assert x == pytest.approx(600.0, abs=3.0) and pupil == pytest.approx(3.2)
    tracker_t = con.execute("SELECT tracker_time - system_time FROM samples LIMIT 1").fetchone()[0]
    assert tracker_t == pytest.approx(5.0)  # the tracker clock (Eyetracker timestamp)
    fix = con.execute(
        "SELECT trial_index, onset, duration, x_px, y_px FROM events WHERE name='fixation'"
    ).fetchall()
    assert [(f[0], f[3], f[4]) for f in fix] == [(0, 600.0, 500.0), (0, 600.0, 500.0), (1, 1300.0, 400.0)]
    assert fix[0][2] == pytest.approx(0.3)
    messages = con.execute("SELECT text FROM messages").fetchall()
    assert ("ImageStimulusStart b",) in messages


def test_bad_tobii_files_give_one_line_and_change_nothing(study, tmp_path, capsys):
    db = tmp_path / "db.sqlite"
    assert _import(capsys, pro_lab_tsv(tmp_path / "ok.tsv"), study, db)[0] == 0
    cases = [
        (
            pro_lab_tsv(tmp_path / "cols.tsv", drop=("Gaze point",)),
            "cols.tsv: line 1: missing columns ['Gaze point X', 'Gaze point Y']",
        ),
        (
            pro_lab_tsv(tmp_path / "nostim.tsv", drop=("Presented",)),
            "nostim.tsv: line 1: missing columns ['Presented Media name or Presented Stimulus name']",
        ),
        (
            pro_lab_tsv(tmp_path / "rate.tsv", second_rate_hz=125.0),
            "rate.tsv: line 304: the sampling rate changes from 250 Hz to 125 Hz",
        ),
        (
            pro_lab_tsv(tmp_path / "two.tsv", second_recording=True),
            "two.tsv: line 353: a second recording 'Recording8' (the first is 'Recording7'): expected one "
            "recording per file",
        ),
        (
            pro_lab_tsv(tmp_path / "screen.tsv", resolution=(1280, 1024)),
            "screen.tsv: line 2 (Recording resolution): the recording's screen is 1280x1024 px but the "
            "study config's [display] is 1920x1080 px",
        ),
    ]
    assert_refused(capsys, _import, cases, study, db)
