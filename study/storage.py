"""Crash-safe session storage: one SQLite file per study (WAL journal, ``synchronous=FULL``).

Everything of a trial (samples, tracker events, messages, frame flip times and the trial row) is
written in **one transaction** when the trial ends; calibrations are committed as they happen.
A ``kill -9`` or power cut therefore loses at most the trial in progress, and a trial is in the
file completely or not at all: a resumed session starts at the first trial without a row.

Tables (times in seconds; ``system_time`` = the session clock that ``win.flip()`` returns;
positions in screen pixels, origin top-left, y down; degrees from the screen centre, y up):

- ``sessions``: id, participant, session, status (running/complete/stopped/crashed/
  calibration_failed), started_utc, ended_utc, tracker (JSON), sampling_rate_hz, display (JSON),
  config (JSON), plan (JSON list of trial specs), software (JSON).
- ``trials``: per completed trial: spec fields, fixation_onset, stimulus_onset, stimulus_offset,
  trial_end (flip times), stimulus rectangle (stim_left/top/width/height px), frame counts and
  frame-interval statistics, dropped frames, sample counts, restarts, completed_utc.
- ``samples``: session_id, trial_index, tracker_time, system_time, x_px, y_px, x_deg, y_deg,
  pupil, valid.
- ``events``: tracker events (fixation/saccade/blink): onset, duration, x_px, y_px, amplitude_deg,
  peak_velocity_deg_s.
- ``messages``: system_time, text (TRIALID, FIXATION_ONSET, STIM_ONSET, STIM_OFFSET, ...).
- ``frames``: every flip: trial_index, frame, flip_time, phase (fixation/stimulus/iti).
- ``calibrations``: kind (validation/drift), attempt, before_trial, mean/max error (deg),
  passed, status (ok/skipped), per-point results (JSON).
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry
from study.trackers.base import SampleBlock

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS sessions (
  id INTEGER PRIMARY KEY, participant TEXT NOT NULL, session TEXT NOT NULL, status TEXT NOT NULL,
  started_utc TEXT, ended_utc TEXT, tracker TEXT, sampling_rate_hz REAL, display TEXT, config TEXT,
  plan TEXT, software TEXT, UNIQUE (participant, session));
CREATE TABLE IF NOT EXISTS trials (
  session_id INTEGER NOT NULL, trial_index INTEGER NOT NULL, stimulus_id TEXT, image TEXT, smap TEXT,
  condition TEXT, item TEXT, practice INTEGER, fixation_onset REAL, stimulus_onset REAL,
  stimulus_offset REAL, trial_end REAL, stim_left REAL, stim_top REAL, stim_width REAL,
  stim_height REAL, n_frames INTEGER, n_stimulus_frames INTEGER, frame_interval_mean_s REAL,
  frame_interval_sd_s REAL, frame_interval_max_s REAL, n_dropped INTEGER, n_samples INTEGER,
  n_valid INTEGER, restarts INTEGER, completed_utc TEXT, PRIMARY KEY (session_id, trial_index));
CREATE TABLE IF NOT EXISTS samples (
  session_id INTEGER NOT NULL, trial_index INTEGER NOT NULL, tracker_time REAL, system_time REAL,
  x_px REAL, y_px REAL, x_deg REAL, y_deg REAL, pupil REAL, valid INTEGER);
CREATE INDEX IF NOT EXISTS samples_by_trial ON samples (session_id, trial_index);
CREATE TABLE IF NOT EXISTS events (
  session_id INTEGER NOT NULL, trial_index INTEGER, name TEXT, onset REAL, duration REAL,
  x_px REAL, y_px REAL, amplitude_deg REAL, peak_velocity_deg_s REAL);
CREATE TABLE IF NOT EXISTS messages (
  session_id INTEGER NOT NULL, trial_index INTEGER, system_time REAL, text TEXT);
CREATE TABLE IF NOT EXISTS frames (
  session_id INTEGER NOT NULL, trial_index INTEGER, frame INTEGER, flip_time REAL, phase TEXT);
CREATE TABLE IF NOT EXISTS calibrations (
  id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, kind TEXT, attempt INTEGER, before_trial INTEGER,
  system_time REAL, mean_error_deg REAL, max_error_deg REAL, passed INTEGER, status TEXT, points TEXT);
"""


def utc_now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


@dataclass
class TrialRecord:
    """Everything recorded in one trial, written at once by :meth:`StudyStore.write_trial`."""

    spec: dict[str, Any]
    timing: dict[str, Any]
    samples: SampleBlock
    events: list[dict[str, Any]] = field(default_factory=list)
    messages: list[tuple[float, str]] = field(default_factory=list)
    frames: list[tuple[float, str]] = field(default_factory=list)


class StudyStore:
    """The SQLite file of a study. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = sqlite3.connect(self.path, isolation_level=None)  # explicit transactions
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA synchronous=FULL")
        with self._tx():
            for statement in _statements():
                self.con.execute(statement)
            self.con.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    @classmethod
    def open_existing(cls, path: str | Path) -> StudyStore:
        """Open a file that must exist (for export and reading)."""
        if not Path(path).is_file():
            raise UserInputError(f"study database not found: {path}")
        try:
            return cls(path)
        except sqlite3.DatabaseError as exc:
            raise UserInputError(f"{path} is not a study database: {exc}") from None

    def _tx(self):
        con = self.con

        class _T:
            def __enter__(self):
                con.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type, *_):
                con.execute("ROLLBACK" if exc_type else "COMMIT")

        return _T()

    def __enter__(self) -> StudyStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # -- sessions -----------------------------------------------------------------------------
    def find_session(self, participant: str, session: str) -> tuple[int, str] | None:
        row = self.con.execute(
            "SELECT id, status FROM sessions WHERE participant=? AND session=?", (participant, session)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def start_session(
        self,
        participant: str,
        session: str,
        *,
        plan: list[dict],
        config: dict,
        tracker: dict,
        display: dict,
        software: dict,
        resume: bool,
    ) -> tuple[int, set[int]]:
        """Create or (with ``resume``) reopen a session; returns its id and its completed trials."""
        found = self.find_session(participant, session)
        if found and not resume:
            raise UserInputError(
                f"participant {participant!r} session {session!r} already exists in "
                f"{self.path} (status {found[1]}); pass --resume to continue it or use "
                "another --session"
            )
        with self._tx():
            if found:
                sid = found[0]
                stored = json.loads(
                    self.con.execute("SELECT plan FROM sessions WHERE id=?", (sid,)).fetchone()[0]
                )
                if stored != plan:
                    raise UserInputError(
                        f"cannot resume participant {participant!r} session {session!r}: "
                        "the study config changed since it started (different trial plan)"
                    )
                self.con.execute("UPDATE sessions SET status='running', ended_utc=NULL WHERE id=?", (sid,))
            else:
                cur = self.con.execute(
                    "INSERT INTO sessions (participant, session, status, started_utc, tracker, sampling_rate_hz,"
                    " display, config, plan, software) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        participant,
                        session,
                        "running",
                        utc_now(),
                        json.dumps(tracker, default=str),
                        tracker.get("sampling_rate_hz"),
                        json.dumps(display),
                        json.dumps(config, default=str),
                        json.dumps(plan),
                        json.dumps(software),
                    ),
                )
                sid = cur.lastrowid
        return sid, self.completed_trials(sid)

    def completed_trials(self, session_id: int) -> set[int]:
        return {
            r[0] for r in self.con.execute("SELECT trial_index FROM trials WHERE session_id=?", (session_id,))
        }

    def finish_session(self, session_id: int, status: str) -> None:
        with self._tx():
            self.con.execute(
                "UPDATE sessions SET status=?, ended_utc=? WHERE id=?", (status, utc_now(), session_id)
            )

    # -- writing ------------------------------------------------------------------------------
    def write_calibration(
        self,
        session_id: int,
        *,
        kind: str,
        attempt: int,
        before_trial: int,
        system_time: float,
        mean_error_deg: float | None,
        max_error_deg: float | None,
        passed: bool | None,
        status: str,
        points: list[dict],
    ) -> None:
        with self._tx():
            self.con.execute(
                "INSERT INTO calibrations (session_id, kind, attempt, before_trial, system_time, mean_error_deg,"
                " max_error_deg, passed, status, points) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    session_id,
                    kind,
                    attempt,
                    before_trial,
                    system_time,
                    mean_error_deg,
                    max_error_deg,
                    None if passed is None else int(passed),
                    status,
                    json.dumps(points),
                ),
            )

    def write_trial(self, session_id: int, rec: TrialRecord, geometry: DisplayGeometry) -> None:
        """Write one finished trial in a single transaction (all of it or nothing)."""
        idx = int(rec.spec["index"])
        s = rec.samples
        x_deg, y_deg = geometry.pos_px_to_deg(s.x_px, s.y_px)
        rows = zip(
            [session_id] * len(s),
            [idx] * len(s),
            s.tracker_time.tolist(),
            s.system_time.tolist(),
            _nan_to_none(s.x_px),
            _nan_to_none(s.y_px),
            _nan_to_none(x_deg),
            _nan_to_none(y_deg),
            _nan_to_none(s.pupil),
            s.valid.astype(int).tolist(),
            strict=True,
        )
        t = dict(rec.timing)
        with self._tx():
            self.con.executemany("INSERT INTO samples VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
            self.con.executemany(
                "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        session_id,
                        idx,
                        e["name"],
                        e["onset"],
                        e.get("duration"),
                        e.get("x_px"),
                        e.get("y_px"),
                        e.get("amplitude_deg"),
                        e.get("peak_velocity_deg_s"),
                    )
                    for e in rec.events
                ],
            )
            self.con.executemany(
                "INSERT INTO messages VALUES (?,?,?,?)",
                [(session_id, idx, tm, text) for tm, text in rec.messages],
            )
            self.con.executemany(
                "INSERT INTO frames VALUES (?,?,?,?,?)",
                [(session_id, idx, i, ft, ph) for i, (ft, ph) in enumerate(rec.frames)],
            )
            cols = [
                "session_id",
                "trial_index",
                "stimulus_id",
                "image",
                "smap",
                "condition",
                "item",
                "practice",
                *t.keys(),
                "n_samples",
                "n_valid",
                "completed_utc",
            ]
            vals = [
                session_id,
                idx,
                rec.spec["stimulus_id"],
                rec.spec["image"],
                rec.spec["smap"],
                rec.spec["condition"],
                rec.spec["item"],
                int(rec.spec["practice"]),
                *t.values(),
                len(s),
                int(s.valid.sum()),
                utc_now(),
            ]
            self.con.execute(
                f"INSERT INTO trials ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", vals
            )

    # -- reading ------------------------------------------------------------------------------
    def table(self, name: str, session_id: int | None = None):
        """A whole table (optionally one session's rows) as a pandas DataFrame."""
        import pandas as pd

        if name not in {"sessions", "trials", "samples", "events", "messages", "frames", "calibrations"}:
            raise UserInputError(f"unknown table {name!r}")
        if session_id is None:
            return pd.read_sql_query(f"SELECT * FROM {name}", self.con)
        key = "id" if name == "sessions" else "session_id"
        return pd.read_sql_query(f"SELECT * FROM {name} WHERE {key}=?", self.con, params=(session_id,))


def _statements() -> list[str]:
    return [s.strip() for s in _SCHEMA.split(";") if s.strip()]


def _nan_to_none(a: np.ndarray) -> list:
    return [None if v != v else v for v in np.asarray(a, dtype=float).tolist()]
