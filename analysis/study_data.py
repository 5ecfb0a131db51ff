"""Load a study into pandas: the BIDS-like export of ``gazefusion study export`` (or its SQLite DB).

:func:`load_study` returns a :class:`StudyData` with three long tables, one row per

- ``trials``: participant, session, trial, stimulus_id, stim_file, smap, condition, item,
  practice, onset_s, duration_s (stimulus on screen, s from the session's first sample) and the
  stimulus rectangle on screen ``stim_left, stim_top, stim_width, stim_height`` (screen px);
- ``events``: the tracker's own events (participant, session, trial, name = fixation / saccade /
  blink, onset_s, duration_s, x_px, y_px);
- ``prefixes``: each session's file prefix in the export (for sample-level loading with
  :func:`study.export.read_physio` / :func:`study.export.load_gaze`).

Positions are screen pixels (origin top-left, y down); ``geometry`` is the display of the
sessions (they must agree). Stimulus files and smap references are kept as written by the study
config; ``stimulus_dir`` (default: the export's parent folder) resolves relative image paths.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry

TRIAL_COLUMNS = (
    "participant",
    "session",
    "trial",
    "stimulus_id",
    "stim_file",
    "smap",
    "condition",
    "item",
    "practice",
    "onset_s",
    "duration_s",
    "stim_left",
    "stim_top",
    "stim_width",
    "stim_height",
)
EVENT_COLUMNS = ("participant", "session", "trial", "name", "onset_s", "duration_s", "x_px", "y_px")


@dataclass
class StudyData:
    """One study's trials and tracker events (see the module docstring)."""

    trials: pd.DataFrame
    events: pd.DataFrame
    prefixes: pd.DataFrame
    geometry: DisplayGeometry
    sampling_rate_hz: float
    root: Path
    stimulus_dir: Path

    @property
    def participants(self) -> list[str]:
        return sorted(self.trials["participant"].unique())

    @property
    def stimuli(self) -> list[str]:
        return sorted(self.trials["stimulus_id"].unique())

    def image_path(self, stim_file: str) -> Path:
        """A stimulus file made absolute against :attr:`stimulus_dir`."""
        p = Path(stim_file).expanduser()
        return p if p.is_absolute() else self.stimulus_dir / p


def _sidecar_geometry(sidecar: dict) -> DisplayGeometry:
    w_m, h_m = sidecar["ScreenSize"]
    return DisplayGeometry(
        width_px=int(sidecar["ScreenResolution"][0]),
        height_px=int(sidecar["ScreenResolution"][1]),
        width_cm=w_m * 100,
        height_cm=h_m * 100,
        distance_cm=sidecar["ScreenDistance"] * 100,
        refresh_hz=float(sidecar.get("ScreenRefreshRate", 60.0)),
    )


def _ids(prefix: Path) -> tuple[str, str]:
    parts = dict(p.split("-", 1) for p in prefix.name.split("_") if "-" in p)
    return parts.get("sub", "?"), parts.get("ses", "1")


def load_study(
    path: str | os.PathLike,
    stimulus_dir: str | os.PathLike | None = None,
    include_practice: bool = False,
    complete_only: bool = False,
) -> StudyData:
    """Load an export folder (or a study ``.sqlite``, exported to a temporary folder first).

    ``include_practice`` keeps practice trials; ``complete_only`` drops sessions whose status is
    not ``complete``. Raises :class:`UserInputError` if nothing loadable is found.
    """
    root = Path(path)
    if root.is_file() and root.suffix in (".sqlite", ".db"):
        from study.export import export_study

        tmp = Path(tempfile.mkdtemp(prefix="gazefusion-export-"))
        export_study(root, tmp)
        data = load_study(tmp, stimulus_dir or root.parent.parent, include_practice, complete_only)
        data.root = root
        return data
    if not root.is_dir():
        raise UserInputError(
            f"DATA: expected a study export folder or a .sqlite file, found no such folder: {root}"
        )
    sidecars = sorted(root.glob("sub-*/ses-*/eyetrack/*_physio.json"))
    if not sidecars:
        raise UserInputError(f"DATA: no sessions (sub-*/ses-*/eyetrack/*_physio.json) found under {root}")
    trials, events, prefixes = [], [], []
    geometry = rate = None
    for sidecar_path in sidecars:
        sidecar = json.loads(sidecar_path.read_text())
        if complete_only and sidecar.get("SessionStatus", "complete") != "complete":
            continue
        prefix = sidecar_path.with_name(sidecar_path.name[: -len("_physio.json")])
        participant, session = _ids(prefix)
        g = _sidecar_geometry(sidecar)
        if geometry is None:
            geometry, rate = g, float(sidecar["SamplingFrequency"])
        elif abs(g.px_per_deg - geometry.px_per_deg) > 1e-6 * geometry.px_per_deg or (
            g.width_px,
            g.height_px,
        ) != (geometry.width_px, geometry.height_px):
            raise UserInputError(
                f"DATA: sessions use different displays ({prefix.name}: {g}; first: {geometry}); "
                "analyse them separately"
            )
        tr = pd.read_csv(
            prefix.with_name(prefix.name + "_events.tsv"),
            sep="\t",
            na_values="n/a",
            keep_default_na=False,
            dtype={"stimulus_id": str, "smap": str, "trial_type": str, "item": str, "stim_file": str},
        )
        tr = tr.rename(columns={"trial_type": "condition", "onset": "onset_s", "duration": "duration_s"})
        tr.insert(0, "participant", participant)
        tr.insert(1, "session", session)
        trials.append(tr)
        ev_cols = json.loads(prefix.with_name(prefix.name + "_physioevents.json").read_text())["Columns"]
        ev = pd.read_csv(
            prefix.with_name(prefix.name + "_physioevents.tsv.gz"),
            sep="\t",
            header=None,
            names=ev_cols,
            na_values="n/a",
        )
        ev = ev[ev["trial_type"].isin(["fixation", "saccade", "blink"])]
        events.append(
            pd.DataFrame(
                {
                    "participant": participant,
                    "session": session,
                    "trial": ev["trial"],
                    "name": ev["trial_type"],
                    "onset_s": ev["onset"],
                    "duration_s": ev["duration"],
                    "x_px": ev["x_coordinate"],
                    "y_px": ev["y_coordinate"],
                }
            )
        )
        prefixes.append(
            {
                "participant": participant,
                "session": session,
                "prefix": str(prefix),
                "status": sidecar.get("SessionStatus", ""),
            }
        )
    if not trials:
        raise UserInputError(f"DATA: no complete sessions under {root}")
    trials_df = pd.concat(trials, ignore_index=True)
    for col in ("smap", "condition", "item", "stim_file", "stimulus_id"):
        trials_df[col] = trials_df[col].fillna("").astype(str)
    trials_df["practice"] = trials_df["practice"].astype(bool)
    if not include_practice:
        trials_df = trials_df[~trials_df["practice"]]
    trials_df = trials_df[list(TRIAL_COLUMNS)].reset_index(drop=True)
    events_df = pd.concat(events, ignore_index=True)[list(EVENT_COLUMNS)]
    return StudyData(
        trials=trials_df,
        events=events_df.reset_index(drop=True),
        prefixes=pd.DataFrame(prefixes),
        geometry=geometry,
        sampling_rate_hz=rate,
        root=root,
        stimulus_dir=Path(stimulus_dir) if stimulus_dir is not None else root.parent,
    )


def image_sizes(data: StudyData) -> dict[str, tuple[int, int]]:
    """(width, height) of each stimulus image, read from its file; the on-screen size when the
    file is not found (e.g. real data analysed without the stimulus folder)."""
    from study.stimuli import image_size

    sizes = {}
    for row in data.trials.drop_duplicates("stimulus_id").itertuples():
        path = data.image_path(row.stim_file)
        sizes[row.stimulus_id] = (
            image_size(path)
            if row.stim_file and path.is_file()
            else (int(round(row.stim_width)), int(round(row.stim_height)))
        )
    return sizes


def target_smaps(data: StudyData, sizes: dict[str, tuple[int, int]]) -> dict[str, np.ndarray]:
    """The target smap of each stimulus at its image size (float32 (H, W) in [0, 1]).

    The smap reference is a file (relative to :attr:`StudyData.stimulus_dir`) or a built-in/spec
    name (:func:`gazefusion.smaps.resolve_smap`). A stimulus without an smap takes the smap of
    another stimulus of the same ``item`` (the unguided control of that item); stimuli with
    neither are left out.
    """
    from gazefusion.smaps import resolve_smap

    first = data.trials.drop_duplicates("stimulus_id")
    item_smap = {r.item: r.smap for r in first.itertuples() if r.item and r.smap}
    out = {}
    for row in first.itertuples():
        ref = row.smap or item_smap.get(row.item, "")
        if not ref:
            continue
        path = data.image_path(ref)
        try:
            smap, _ = resolve_smap(str(path) if path.exists() else ref, size=sizes[row.stimulus_id])
        except UserInputError as exc:
            raise UserInputError(f"stimulus {row.stimulus_id!r}: target smap {ref!r}: {exc}") from None
        out[row.stimulus_id] = smap
    return out
