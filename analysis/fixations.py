"""Fixations of a study: the tracker's own events, or detected from samples with pymovements.

- :func:`tracker_fixations`: the fixation events the tracker reported (EyeLink, the simulated
  tracker, ...).
- :func:`detect_fixations`: I-VT (velocity threshold in deg/s, Savitzky-Golay velocities) or I-DT
  (dispersion threshold in degrees) of pymovements 0.28 on each session's samples; positions in
  degrees come from the display geometry (pymovements' ``pix2deg``), the fixation position is the
  mean pixel position of its samples.
- :func:`fixations_on_stimuli`: keep the fixations made while a stimulus was on screen and express
  them in stimulus-image pixels (``x_img``, ``y_img``; origin top-left, y down).

All tables have ``participant, session, trial, onset_s, duration_s, x_px, y_px`` (seconds from the
session's first sample; screen pixels).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis.study_data import TRIAL_COLUMNS, StudyData
from gazefusion.errors import UserInputError

FIXATION_METHODS = ("tracker", "ivt", "idt")
FIXATION_COLUMNS = ["participant", "session", "trial", "onset_s", "duration_s", "x_px", "y_px"]


def tracker_fixations(data: StudyData) -> pd.DataFrame:
    """The fixation events recorded by the tracker."""
    fix = data.events[data.events["name"] == "fixation"]
    return fix[FIXATION_COLUMNS].dropna(subset=["x_px", "y_px"]).reset_index(drop=True)


def detect_fixations(
    data: StudyData,
    method: str = "ivt",
    velocity_threshold_deg_s: float = 30.0,
    dispersion_threshold_deg: float = 1.0,
    minimum_duration_ms: float = 60.0,
    savgol_window_ms: float = 21.0,
) -> pd.DataFrame:
    """Detect fixations in every session's samples with pymovements (``method`` = ``"ivt"`` or ``"idt"``).

    Thresholds are in degrees of visual angle (per second for I-VT); ``minimum_duration_ms`` is the
    shortest fixation kept. Velocities for I-VT are Savitzky-Golay derivatives (degree 2) over
    ``savgol_window_ms``.
    """
    if method not in ("ivt", "idt"):
        raise UserInputError(f"method: expected 'ivt' or 'idt', got {method!r}")
    import polars as pl

    from study.export import load_gaze

    step_ms = 1000.0 / data.sampling_rate_hz
    min_samples = max(1, int(round(minimum_duration_ms / step_ms)))
    out = []
    for row in data.prefixes.itertuples():
        gaze = load_gaze(row.prefix)
        # integer sample indices as time (I-DT needs integer timesteps); converted back below
        gaze.samples = gaze.samples.with_columns(
            (pl.col("time") / step_ms).round().cast(pl.Int64).alias("time")
        )
        gaze.pix2deg()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pymovements warns when a trial has no events
            if method == "ivt":
                window = max(3, int(round(savgol_window_ms / step_ms)) | 1)
                gaze.pos2vel(method="savitzky_golay", window_length=window, degree=2)
                gaze.detect("ivt", velocity_threshold=velocity_threshold_deg_s, minimum_duration=min_samples)
            else:
                gaze.detect(
                    "idt", dispersion_threshold=dispersion_threshold_deg, minimum_duration=min_samples
                )
            gaze.compute_event_properties(("location", {"position_column": "pixel"}))
        ev = gaze.events.frame.to_pandas()
        if ev.empty:
            continue
        loc = np.asarray(ev["location"].to_list(), dtype=np.float64).reshape(-1, 2)
        out.append(
            pd.DataFrame(
                {
                    "participant": row.participant,
                    "session": row.session,
                    "trial": ev["trial"],
                    "onset_s": ev["onset"] * step_ms / 1000.0,
                    "duration_s": (ev["offset"] - ev["onset"]) * step_ms / 1000.0,
                    "x_px": loc[:, 0],
                    "y_px": loc[:, 1],
                }
            )
        )
    if not out:
        return pd.DataFrame(columns=FIXATION_COLUMNS)
    return pd.concat(out, ignore_index=True).dropna(subset=["x_px", "y_px"])[FIXATION_COLUMNS]


def study_fixations(data: StudyData, method: str = "tracker", **detect_kwargs) -> pd.DataFrame:
    """Fixations by ``method``: ``"tracker"`` (its events), ``"ivt"`` or ``"idt"`` (pymovements)."""
    if method not in FIXATION_METHODS:
        raise UserInputError(f"--fixations: expected one of {', '.join(FIXATION_METHODS)}, got {method!r}")
    if method == "tracker":
        fix = tracker_fixations(data)
        if fix.empty:
            raise UserInputError(
                "--fixations tracker: the data has no tracker fixation events; use ivt or idt"
            )
        return fix
    return detect_fixations(data, method, **detect_kwargs)


def fixations_on_stimuli(
    fixations: pd.DataFrame,
    trials: pd.DataFrame,
    image_sizes: dict[str, tuple[int, int]] | None = None,
    drop_initial: bool = True,
) -> pd.DataFrame:
    """Fixations made during stimulus presentation, in stimulus-image pixels.

    A fixation belongs to a trial's stimulus when it starts while the stimulus is on screen.
    ``drop_initial`` (default) drops the fixation in progress at stimulus onset (the one on the
    fixation cross; trackers that split events at the scene change report it as starting at
    onset, so fixations starting within 1 ms of onset are dropped too). ``image_sizes`` maps
    ``stimulus_id`` to the image's (width, height) in pixels (default: the on-screen size).
    Fixations outside the image are dropped. Adds the trial's stimulus columns, ``x_img``,
    ``y_img`` and ``t_rel_s`` (onset relative to stimulus onset).
    """
    keys = ["participant", "session", "trial"]
    stim_cols = [c for c in TRIAL_COLUMNS if c not in keys and c != "practice"]  # the stimulus shown
    merged = fixations.merge(
        trials[keys + stim_cols].rename(columns={"onset_s": "stim_onset_s", "duration_s": "stim_duration_s"}),
        on=keys,
        how="inner",
    )
    start = merged["stim_onset_s"] + (1e-3 if drop_initial else -np.inf)
    if drop_initial:
        keep = merged["onset_s"] > start
    else:
        keep = merged["onset_s"] + merged["duration_s"] > merged["stim_onset_s"]
    keep &= merged["onset_s"] < merged["stim_onset_s"] + merged["stim_duration_s"]
    merged = merged[keep].copy()
    sizes = image_sizes or {}
    w_img = (
        merged["stimulus_id"]
        .map(lambda s: sizes[s][0] if s in sizes else np.nan)
        .fillna(merged["stim_width"])
    )
    h_img = (
        merged["stimulus_id"]
        .map(lambda s: sizes[s][1] if s in sizes else np.nan)
        .fillna(merged["stim_height"])
    )
    merged["x_img"] = (merged["x_px"] - merged["stim_left"]) * w_img / merged["stim_width"]
    merged["y_img"] = (merged["y_px"] - merged["stim_top"]) * h_img / merged["stim_height"]
    merged["t_rel_s"] = merged["onset_s"] - merged["stim_onset_s"]
    inside = (
        (merged["x_img"] >= 0)
        & (merged["x_img"] < w_img)
        & (merged["y_img"] >= 0)
        & (merged["y_img"] < h_img)
    )
    return merged[inside].drop(columns=["stim_onset_s", "stim_duration_s"]).reset_index(drop=True)
