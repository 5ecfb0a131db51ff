"""Tobii Pro Lab "Data export" TSV files (one recording per file).

Columns used (Pro Lab names; a unit in brackets after a name is allowed, e.g.
``Recording timestamp [μs]``): ``Recording timestamp`` (ms unless the header says ``[μs]``/``[us]``
or ``[s]``), ``Gaze point X``/``Gaze point Y`` (screen px, origin top-left; Pro Lab's combined
gaze of both eyes), ``Presented Media name`` or ``Presented Stimulus name`` (the trials: each run
of rows showing one stimulus is a trial, on screen from its first to its last row), and, where
present, ``Sensor`` (only ``Eye Tracker`` rows are samples), ``Validity left/right``,
``Pupil diameter left/right`` (mm, their mean is stored), ``Recording resolution width/height``
(px, checked against the config), ``Eyetracker timestamp`` (μs, the tracker clock),
``Eye movement type``/``Eye movement type index``/``Gaze event duration`` (ms)/``Fixation point X/Y``
(Pro Lab's fixations and saccades) and ``Event``/``Event value`` (kept as messages).

Times are stored in seconds; empty or invalid gaze stays NaN. Decimal commas are accepted.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from study.importers.common import Message, Recording, TrialWindow, check_constant_rate, file_error
from study.trackers.base import SampleBlock

REQUIRED = ("Recording timestamp", "Gaze point X", "Gaze point Y")
STIMULUS_COLUMNS = ("Presented Media name", "Presented Stimulus name")
_UNIT = re.compile(r"^(.*?)\s*\[([^\]]*)\]\s*$")
_TIME_SCALE = {"ms": 1e-3, "μs": 1e-6, "µs": 1e-6, "us": 1e-6, "s": 1.0}


def _columns(header: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Column name without unit -> header name, and -> unit."""
    names, units = {}, {}
    for h in header:
        m = _UNIT.match(h)
        base, unit = (m[1], m[2]) if m else (h.strip(), "")
        names.setdefault(base, h)
        units.setdefault(base, unit)
    return names, units


def _num(values) -> np.ndarray:
    import pandas as pd

    s = pd.Series(values, dtype=str).str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(s.where(s != ""), errors="coerce").to_numpy(dtype=np.float64)


def read_tobii_tsv(path: Path, data: bytes) -> Recording:
    """Parse one Pro Lab TSV (its bytes ``data``) into a :class:`Recording`."""
    import pandas as pd

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise file_error(path, f"line {line}", "not text: expected a Tobii Pro Lab TSV export") from None
    try:
        df = pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False, quoting=3)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise file_error(path, "", f"not a tab-separated table: {str(exc).strip()}") from None
    names, units = _columns(list(df.columns))
    missing = [c for c in REQUIRED if c not in names]
    if not any(c in names for c in STIMULUS_COLUMNS):
        missing.append(" or ".join(STIMULUS_COLUMNS))
    if missing:
        raise file_error(
            path,
            "line 1",
            f"missing columns {missing}: expected a Tobii Pro Lab 'Data export' TSV with "
            f"{', '.join(REQUIRED)} and {STIMULUS_COLUMNS[0]}",
        )

    def col(name: str):
        return df[names[name]] if name in names else None

    lines = np.arange(len(df)) + 2  # file line of each row (the header is line 1)
    unit = units["Recording timestamp"] or "ms"
    if unit not in _TIME_SCALE:
        raise file_error(path, "line 1", f"Recording timestamp unit [{unit}]: expected [ms] or [μs]")
    t_all = _num(col("Recording timestamp")) * _TIME_SCALE[unit]
    sensor = col("Sensor")
    is_sample = (
        (sensor.str.strip() == "Eye Tracker").to_numpy() if sensor is not None else np.ones(len(df), bool)
    )
    event = col("Event")
    messages = []
    if event is not None:
        value = col("Event value")
        for i in np.flatnonzero(event.str.strip().to_numpy() != ""):
            if np.isfinite(t_all[i]):
                txt = event.iloc[i].strip() + (f" {value.iloc[i].strip()}" if value is not None else "")
                messages.append(Message(float(t_all[i]), txt.strip(), f"line {lines[i]}"))
            if sensor is None:
                is_sample[i] = False
    bad_t = is_sample & ~np.isfinite(t_all)
    if bad_t.any():
        i = int(np.argmax(bad_t))
        raise file_error(path, f"line {lines[i]}", "no Recording timestamp: expected a number")
    idx = np.flatnonzero(is_sample)
    if idx.size < 2:
        raise file_error(path, "", "fewer than 2 eye-tracker rows: expected gaze samples")
    rows = df.iloc[idx]
    if "Recording name" in names:
        rec_names = rows[names["Recording name"]].str.strip().to_numpy()
        other = np.flatnonzero(rec_names != rec_names[0])
        if other.size:
            raise file_error(
                path,
                f"line {lines[idx[other[0]]]}",
                f"a second recording {rec_names[other[0]]!r} (the first is {rec_names[0]!r}): expected "
                "one recording per file (export one file per recording)",
            )
    t = t_all[idx]
    hz = check_constant_rate(path, t, lambda i: f"line {lines[idx[i]]}")
    x, y = _num(rows[names["Gaze point X"]]), _num(rows[names["Gaze point Y"]])
    valid = np.isfinite(x) & np.isfinite(y)
    vl, vr = col("Validity left"), col("Validity right")
    if vl is not None and vr is not None:
        both_invalid = (vl.iloc[idx].str.strip() == "Invalid").to_numpy() & (
            vr.iloc[idx].str.strip() == "Invalid"
        ).to_numpy()
        valid &= ~both_invalid
    pupils = [_num(col(c).iloc[idx]) for c in ("Pupil diameter left", "Pupil diameter right") if c in names]
    if pupils:
        with np.errstate(all="ignore"):
            stacked = np.vstack(pupils)
            n = np.isfinite(stacked).sum(axis=0)
            pupil = np.where(n > 0, np.nansum(stacked, axis=0) / np.maximum(n, 1), np.nan)
    else:
        pupil = np.full(len(t), np.nan)
    tracker_t = t.copy()
    if "Eyetracker timestamp" in names:
        et = _num(col("Eyetracker timestamp").iloc[idx]) * 1e-6
        tracker_t = np.where(np.isfinite(et), et, t)
    samples = SampleBlock(
        tracker_t,
        t,
        np.where(valid, x, np.nan),
        np.where(valid, y, np.nan),
        np.where(valid, pupil, 0.0),
        valid,
    )
    res, res_where = None, ""
    if "Recording resolution width" in names and "Recording resolution height" in names:
        w = _num(rows[names["Recording resolution width"]])
        h = _num(rows[names["Recording resolution height"]])
        ok = np.isfinite(w) & np.isfinite(h)
        if ok.any():
            i = int(np.argmax(ok))
            res, res_where = (int(w[i]), int(h[i])), f"line {lines[idx[i]]} (Recording resolution)"
    stim_col = next(c for c in STIMULUS_COLUMNS if c in names)
    stim = rows[names[stim_col]].str.strip().to_numpy()
    return Recording(
        source=path,
        importer="tobii-tsv",
        tracker="tobii",
        samples=samples,
        sampling_rate_hz=hz,
        eye="average",
        events=_events(rows, names, t, hz),
        messages=messages,
        resolution=res,
        resolution_source=res_where,
        trials=_trials(path, stim, t, lines[idx], hz, stim_col),
    )


def _trials(
    path: Path, stim: np.ndarray, t: np.ndarray, lines: np.ndarray, hz: float, col: str
) -> list[TrialWindow]:
    """Each run of rows with one non-empty stimulus name is a trial."""
    trials = []
    start = None
    for i in range(len(stim) + 1):
        name = stim[i] if i < len(stim) else ""
        if start is not None and (name != stim[start]):
            end = float(t[i - 1]) + 1.0 / hz
            trials.append(
                TrialWindow(
                    index=len(trials),
                    where=f"line {lines[start]}",
                    start=float(t[start]),
                    stimulus=str(stim[start]),
                    stimulus_where=f"line {lines[start]} ({col})",
                    stimulus_time=float(t[start]),
                    stimulus_onset=float(t[start]),
                    stimulus_offset=end,
                    end=float(t[i - 1]),
                )
            )
            start = None
        if start is None and name:
            start = i
    if not trials:
        raise file_error(path, "", f"no row names a stimulus: expected {col} on the rows of each trial")
    return trials


def _events(rows, names: dict[str, str], t: np.ndarray, hz: float) -> list[dict]:
    """Pro Lab's fixations and saccades (one per ``Eye movement type index`` run)."""
    need = ("Eye movement type", "Eye movement type index", "Gaze event duration")
    if not all(c in names for c in need):
        return []
    kind = rows[names["Eye movement type"]].str.strip().to_numpy()
    index = rows[names["Eye movement type index"]].str.strip().to_numpy()
    dur = _num(rows[names["Gaze event duration"]]) / 1000.0
    fx = _num(rows[names["Fixation point X"]]) if "Fixation point X" in names else np.full(len(t), np.nan)
    fy = _num(rows[names["Fixation point Y"]]) if "Fixation point Y" in names else np.full(len(t), np.nan)
    events = []
    for i in range(len(kind)):
        if kind[i] not in ("Fixation", "Saccade") or (
            i and kind[i - 1] == kind[i] and index[i - 1] == index[i]
        ):
            continue
        ev = {"name": kind[i].lower(), "onset": float(t[i])}
        if np.isfinite(dur[i]):
            ev["duration"] = float(dur[i])
        if kind[i] == "Fixation" and np.isfinite(fx[i]) and np.isfinite(fy[i]):
            ev["x_px"], ev["y_px"] = float(fx[i]), float(fy[i])
        events.append(ev)
    return events
