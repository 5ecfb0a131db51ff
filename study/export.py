"""Export a study database to a BIDS-eye-tracking-like folder, and load it back (pymovements).

Layout (``<P>``, ``<S>``: participant and session labels with non-alphanumerics removed)::

    OUT/dataset_description.json
    OUT/participants.tsv
    OUT/sub-<P>/ses-<S>/eyetrack/sub-<P>_ses-<S>_task-<task>_physio.tsv.gz        samples, no header
    OUT/sub-<P>/ses-<S>/eyetrack/sub-<P>_ses-<S>_task-<task>_physio.json          sidecar ("Columns", ...)
    OUT/sub-<P>/ses-<S>/eyetrack/sub-<P>_ses-<S>_task-<task>_physioevents.tsv.gz  tracker events + messages
    OUT/sub-<P>/ses-<S>/eyetrack/sub-<P>_ses-<S>_task-<task>_physioevents.json
    OUT/sub-<P>/ses-<S>/eyetrack/sub-<P>_ses-<S>_task-<task>_events.tsv           one row per trial
    OUT/sub-<P>/ses-<S>/eyetrack/sub-<P>_ses-<S>_task-<task>_samples.parquet      samples with a header
    OUT/sub-<P>/ses-<S>/eyetrack/sub-<P>_ses-<S>_task-<task>_frames.tsv.gz        every flip (timing log)
    OUT/sub-<P>/ses-<S>/eyetrack/sub-<P>_ses-<S>_task-<task>_calibration.json     validations, drift checks

Times in every file are seconds from the session's first recorded sample (``ClockOrigin`` in
the sidecar gives that instant on the session clock). Sample columns: ``timestamp``,
``x_coordinate``, ``y_coordinate`` (screen px, origin top-left, y down), ``x_deg``, ``y_deg``
(degrees from the screen centre, y up), ``pupil_size`` (tracker units; simulated: mm),
``valid`` (0/1), ``trial`` (trial index), ``tracker_time`` (s, tracker clock). Events (trials):
``onset`` (stimulus onset flip), ``duration`` (to the offset flip), ``trial_type`` (condition),
``trial``, ``stimulus_id``, ``stim_file``, ``smap``, ``item``, ``practice``, the stimulus
rectangle ``stim_left``/``stim_top``/``stim_width``/``stim_height`` (screen px),
``fixation_onset``, ``n_dropped`` and sample counts. Files are written atomically.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from pathlib import Path

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry
from gazefusion.utils.atomic import atomic_path, atomic_write_bytes, atomic_write_json, atomic_write_text
from study.storage import StudyStore

PHYSIO_COLUMNS = [
    "timestamp",
    "x_coordinate",
    "y_coordinate",
    "x_deg",
    "y_deg",
    "pupil_size",
    "valid",
    "trial",
    "tracker_time",
]
PHYSIOEVENT_COLUMNS = [
    "onset",
    "duration",
    "trial_type",
    "trial",
    "x_coordinate",
    "y_coordinate",
    "amplitude_deg",
    "peak_velocity_deg_s",
    "message",
]


def bids_label(text: str) -> str:
    """A BIDS label: only letters and digits (``"P-01"`` -> ``"P01"``)."""
    label = re.sub(r"[^A-Za-z0-9]", "", str(text))
    if not label:
        raise UserInputError(f"cannot make a BIDS label from {text!r} (needs letters or digits)")
    return label


def _tsv_gz(df, header: bool) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, sep="\t", index=False, header=header, na_rep="n/a", float_format="%.6f")
    return gzip.compress(buf.getvalue().encode(), mtime=0)


def session_prefix(out: Path, participant: str, session: str, task: str) -> Path:
    """Folder and file-name prefix of one session in the export."""
    p, s = bids_label(participant), bids_label(session)
    return out / f"sub-{p}" / f"ses-{s}" / "eyetrack" / f"sub-{p}_ses-{s}_task-{bids_label(task)}"


def export_study(db: str | Path, out: str | Path, include_incomplete: bool = True) -> list[Path]:
    """Write every session of ``db`` under ``out``; returns the sessions' file prefixes."""
    import pandas as pd

    out = Path(out)
    written = []
    with StudyStore.open_existing(db) as store:
        sessions = store.table("sessions")
        if sessions.empty:
            raise UserInputError(f"study database {db} has no sessions to export")
        rows = []
        for sess in sessions.itertuples():
            if not include_incomplete and sess.status != "complete":
                continue
            written.append(_export_session(store, sess, out))
            rows.append(
                {
                    "participant_id": f"sub-{bids_label(sess.participant)}",
                    "session": sess.session,
                    "status": sess.status,
                    "started_utc": sess.started_utc,
                }
            )
        config = json.loads(sessions.iloc[0]["config"])
    atomic_write_json(
        out / "dataset_description.json",
        {
            "Name": config.get("name", "study"),
            "BIDSVersion": "1.10.0",
            "DatasetType": "raw",
            "GeneratedBy": [{"Name": "gazefusion study export"}],
        },
    )
    atomic_write_text(
        out / "participants.tsv",
        pd.DataFrame(rows).drop_duplicates("participant_id").to_csv(sep="\t", index=False),
    )
    return written


def _export_session(store: StudyStore, sess, out: Path) -> Path:
    import pandas as pd

    sid = int(sess.id)
    config = json.loads(sess.config)
    prefix = session_prefix(out, sess.participant, sess.session, config.get("task", "freeview"))
    samples = store.table("samples", sid).sort_values(["system_time"], kind="stable")
    trials = store.table("trials", sid).sort_values("trial_index")
    t0 = float(samples["system_time"].iloc[0]) if len(samples) else 0.0
    physio = pd.DataFrame(
        {
            "timestamp": samples["system_time"] - t0,
            "x_coordinate": samples["x_px"],
            "y_coordinate": samples["y_px"],
            "x_deg": samples["x_deg"],
            "y_deg": samples["y_deg"],
            "pupil_size": samples["pupil"],
            "valid": samples["valid"].astype(int),
            "trial": samples["trial_index"],
            "tracker_time": samples["tracker_time"],
        }
    )
    atomic_write_bytes(prefix.with_name(prefix.name + "_physio.tsv.gz"), _tsv_gz(physio, header=False))
    with atomic_path(prefix.with_name(prefix.name + "_samples.parquet")) as tmp:
        physio.to_parquet(tmp, index=False)

    geometry = DisplayGeometry.from_json(json.loads(sess.display))
    tracker = json.loads(sess.tracker)
    cal = store.table("calibrations", sid)
    val = cal[(cal["kind"] == "validation") & (cal["status"] == "ok")]
    last = val.iloc[-1] if len(val) else None
    h_cm = geometry.height_cm or geometry.height_px / geometry.px_per_cm
    atomic_write_json(
        prefix.with_name(prefix.name + "_physio.json"),
        {
            "SamplingFrequency": sess.sampling_rate_hz,
            "StartTime": 0.0,
            "Columns": PHYSIO_COLUMNS,
            "ClockOrigin": t0,
            "ClockOriginDescription": "session clock (s) of the first sample; all times are relative to it",
            "Manufacturer": tracker.get("name"),
            "TrackerSettings": tracker.get("settings"),
            "RecordedEye": "cyclopean",
            "SampleCoordinateUnits": "pixel",
            "SampleCoordinateSystem": "gaze-on-screen",
            "EnvironmentCoordinates": "top-left",
            "ScreenResolution": [geometry.width_px, geometry.height_px],
            "ScreenSize": [geometry.width_cm / 100, h_cm / 100],
            "ScreenDistance": geometry.distance_cm / 100,
            "ScreenRefreshRate": geometry.refresh_hz,
            "PixelsPerDegree": geometry.px_per_deg,
            "CalibrationCount": int(len(val)),
            "CalibrationType": f"HV{config['calibration']['points']}",
            "AverageCalibrationError": None if last is None else last["mean_error_deg"],
            "MaximalCalibrationError": None if last is None else last["max_error_deg"],
            "CalibrationUnit": "degree",
            "SessionStatus": sess.status,
            "SoftwareVersions": json.loads(sess.software),
            "TaskName": config.get("task", "freeview"),
            "timestamp": {"Units": "s"},
            "x_coordinate": {"Units": "pixel"},
            "y_coordinate": {"Units": "pixel"},
            "x_deg": {
                "Units": "degree",
                "Description": "horizontal position from the screen centre, right positive",
            },
            "y_deg": {
                "Units": "degree",
                "Description": "vertical position from the screen centre, up positive",
            },
            "pupil_size": {"Units": "tracker units (simulated: mm); 0 while invalid"},
            "valid": {"Description": "1 = valid sample, 0 = lost (blink, track loss)"},
            "trial": {"Description": "trial index (events.tsv 'trial')"},
            "tracker_time": {"Units": "s", "Description": "tracker clock, not shifted"},
        },
    )

    ev = store.table("events", sid)
    msg = store.table("messages", sid)
    pev = pd.concat(
        [
            pd.DataFrame(
                {
                    "onset": ev["onset"] - t0,
                    "duration": ev["duration"],
                    "trial_type": ev["name"],
                    "trial": ev["trial_index"],
                    "x_coordinate": ev["x_px"],
                    "y_coordinate": ev["y_px"],
                    "amplitude_deg": ev["amplitude_deg"],
                    "peak_velocity_deg_s": ev["peak_velocity_deg_s"],
                    "message": None,
                }
            ),
            pd.DataFrame(
                {
                    "onset": msg["system_time"] - t0,
                    "duration": 0.0,
                    "trial_type": "message",
                    "trial": msg["trial_index"],
                    "message": msg["text"],
                }
            ),
        ],
        ignore_index=True,
    ).sort_values("onset", kind="stable")[PHYSIOEVENT_COLUMNS]
    atomic_write_bytes(prefix.with_name(prefix.name + "_physioevents.tsv.gz"), _tsv_gz(pev, header=False))
    atomic_write_json(
        prefix.with_name(prefix.name + "_physioevents.json"),
        {
            "Columns": PHYSIOEVENT_COLUMNS,
            "onset": {"Units": "s"},
            "duration": {"Units": "s"},
            "trial_type": {
                "Levels": {
                    "fixation": "tracker fixation",
                    "saccade": "tracker saccade",
                    "blink": "tracker blink",
                    "message": "message sent to the tracker",
                }
            },
        },
    )

    events = pd.DataFrame(
        {
            "onset": trials["stimulus_onset"] - t0,
            "duration": trials["stimulus_offset"] - trials["stimulus_onset"],
            "trial_type": trials["condition"],
            "trial": trials["trial_index"],
            "stimulus_id": trials["stimulus_id"],
            "stim_file": trials["image"],
            "smap": trials["smap"],
            "item": trials["item"],
            "practice": trials["practice"],
            "stim_left": trials["stim_left"],
            "stim_top": trials["stim_top"],
            "stim_width": trials["stim_width"],
            "stim_height": trials["stim_height"],
            "fixation_onset": trials["fixation_onset"] - t0,
            "n_frames": trials["n_stimulus_frames"],
            "n_dropped": trials["n_dropped"],
            "n_samples": trials["n_samples"],
            "n_valid": trials["n_valid"],
            "restarts": trials["restarts"],
        }
    )
    atomic_write_text(
        prefix.with_name(prefix.name + "_events.tsv"), events.to_csv(sep="\t", index=False, na_rep="n/a")
    )
    frames = store.table("frames", sid)
    frames = pd.DataFrame(
        {
            "trial": frames["trial_index"],
            "frame": frames["frame"],
            "flip_time": frames["flip_time"] - t0,
            "phase": frames["phase"],
        }
    )
    atomic_write_bytes(prefix.with_name(prefix.name + "_frames.tsv.gz"), _tsv_gz(frames, header=True))
    atomic_write_json(
        prefix.with_name(prefix.name + "_calibration.json"),
        [
            {
                **{
                    k: (None if isinstance(v, float) and np.isnan(v) else v)
                    for k, v in row.items()
                    if k != "points"
                },
                "system_time": row["system_time"] - t0,
                "points": json.loads(row["points"]),
            }
            for row in cal.to_dict("records")
        ],
    )
    return prefix


def read_physio(prefix: str | Path):
    """The samples of one exported session (pandas DataFrame with ``PHYSIO_COLUMNS``)."""
    import pandas as pd

    prefix = Path(prefix)
    sidecar = json.loads(prefix.with_name(prefix.name + "_physio.json").read_text())
    return pd.read_csv(
        prefix.with_name(prefix.name + "_physio.tsv.gz"),
        sep="\t",
        header=None,
        names=sidecar["Columns"],
        na_values="n/a",
    )


def load_gaze(prefix: str | Path):
    """One exported session as a pymovements ``Gaze`` (pymovements 0.28): pixel positions, time in
    ms, one trial per ``trial``, the screen geometry from the sidecar. Invalid samples are NaN."""
    import pymovements as pm

    prefix = Path(prefix)
    sidecar = json.loads(prefix.with_name(prefix.name + "_physio.json").read_text())
    df = read_physio(prefix)
    df["time"] = df["timestamp"] * 1000.0
    w_m, h_m = sidecar["ScreenSize"]
    experiment = pm.Experiment(
        screen_width_px=sidecar["ScreenResolution"][0],
        screen_height_px=sidecar["ScreenResolution"][1],
        screen_width_cm=w_m * 100,
        screen_height_cm=h_m * 100,
        distance_cm=sidecar["ScreenDistance"] * 100,
        origin="upper left",
        sampling_rate=sidecar["SamplingFrequency"],
    )
    return pm.gaze.from_pandas(
        df[["time", "trial", "x_coordinate", "y_coordinate", "pupil_size"]],
        experiment=experiment,
        trial_columns="trial",
        time_column="time",
        time_unit="ms",
        pixel_columns=["x_coordinate", "y_coordinate"],
    )
