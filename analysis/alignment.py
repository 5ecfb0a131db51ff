"""Alignment of human gaze with the target smaps, against controls.

Each stimulus has a *target*: the smap the image was generated from (stimuli without an smap but
with an ``item`` take the target of their item, e.g. an unguided-SD image of the same prompt).
Gaze is scored with :data:`metrics.METRICS` (MIT conventions) by *predictors*:

- ``target``: the stimulus' own target smap;
- ``shuffled``: the target of another stimulus (drawn with a seed among the stimuli whose smap
  differs), the chance level of a map that is not about this image;
- ``centre``: a centre-bias Gaussian (:func:`gazefusion.saliency.centre_bias.centre_bias`, summing to 1);
- ``ceiling``: the inter-observer ceiling, the fixation map of the *other* participants on the
  same stimulus (leave-one-participant-out; only at ``level="participant"``).

The unguided-SD control is a stimulus condition, not a predictor: gaze on unguided images scored
by the target of their item (rows with the unguided condition and predictor ``target``).

Targets of density metrics (cc, kld, sim) are fixation maps blurred with ``sigma_deg``
(:mod:`analysis.maps`); fixation metrics (nss, auc_judd, auc_shuffled) take the fixation points,
``auc_shuffled`` with the fixations on all other stimuli as negatives. ``level="participant"``
scores every participant x stimulus (the unit of the mixed model and of the ceiling);
``level="pooled"`` scores each stimulus against the fixations of all participants pooled (the
paper's "gaze distributions pooled across users").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.maps import DEFAULT_SIGMA_DEG, fixation_map, sigma_image_px
from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry
from gazefusion.progress import NO_PROGRESS, Progress
from gazefusion.saliency.centre_bias import DEFAULT_SIGMA_FRAC, centre_bias
from gazefusion.utils.seeds import derive_seed

DEFAULT_METRICS = ("cc", "kld", "sim", "nss", "auc_judd", "auc_shuffled")
PREDICTORS = ("target", "shuffled", "centre", "ceiling")
ALIGNMENT_COLUMNS = [
    "level",
    "participant",
    "stimulus_id",
    "condition",
    "item",
    "predictor",
    "metric",
    "value",
    "n_fixations",
]


def shuffled_assignment(
    stimuli: Sequence[str], smap_of: dict[str, str], seed: int = 0
) -> dict[str, str | None]:
    """For each stimulus, another stimulus whose target is a different smap (``None`` if none is)."""
    rng = np.random.default_rng(seed)
    ids = sorted(stimuli)
    out: dict[str, str | None] = {}
    for sid in ids:
        others = [o for o in ids if smap_of.get(o) != smap_of.get(sid)]
        out[sid] = str(rng.choice(others)) if others else None
    return out


def _score(
    metric: str, predictor: np.ndarray, points: np.ndarray, density: np.ndarray, other: np.ndarray, seed: int
) -> float:
    from metrics import METRICS

    spec = METRICS[metric]
    if len(points) == 0:
        return float("nan")
    if spec.target == "density":
        return float(spec.fn(predictor, density))
    kwargs = {"seed": seed} if spec.stochastic else {}
    if metric == "auc_shuffled":
        if len(other) == 0:
            return float("nan")
        kwargs["other"] = other
    return float(spec.fn(predictor, points, **kwargs))


def score_alignment(
    fixations: pd.DataFrame,
    targets: dict[str, np.ndarray],
    geometry: DisplayGeometry,
    *,
    metrics: Sequence[str] = DEFAULT_METRICS,
    predictors: Sequence[str] = PREDICTORS,
    level: str = "participant",
    sigma_deg: float = DEFAULT_SIGMA_DEG,
    blur: str = "gaussian",
    centre_sigma_frac: float = DEFAULT_SIGMA_FRAC,
    seed: int = 0,
    progress: Progress = NO_PROGRESS,
) -> pd.DataFrame:
    """Score gaze against the targets and controls; one row per (unit, predictor, metric).

    ``fixations`` is :func:`analysis.fixations.fixations_on_stimuli` output (``x_img``, ``y_img``
    in the pixels of the target maps, which must have the images' size); ``targets`` maps every
    scored stimulus id to its target smap (H, W). Stimuli without a target are skipped.
    ``progress`` gets ``scoring (LEVEL)``: the scored units (participant x stimulus, or stimuli
    when pooled). The stochastic metrics of the
    ``k``-th stimulus draw from :func:`~gazefusion.utils.seeds.derive_seed` ``(seed, k)``.
    Returns :data:`ALIGNMENT_COLUMNS`.
    """
    from metrics import METRICS

    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise UserInputError(f"--metrics: unknown {unknown}; known: {', '.join(METRICS)}")
    bad = [p for p in predictors if p not in PREDICTORS]
    if bad:
        raise UserInputError(f"predictors: unknown {bad}; known: {', '.join(PREDICTORS)}")
    if level not in ("participant", "pooled"):
        raise UserInputError(f"level: expected 'participant' or 'pooled', got {level!r}")
    fix = fixations[fixations["stimulus_id"].isin(list(targets))]
    info = fix.drop_duplicates("stimulus_id").set_index("stimulus_id")
    stimuli = sorted(info.index)
    smap_key = {s: _target_key(targets[s]) for s in stimuli}
    shuffle = shuffled_assignment(stimuli, smap_key, seed)
    pts_of = {s: fix.loc[fix["stimulus_id"] == s, ["x_img", "y_img", "participant"]] for s in stimuli}
    task = f"scoring ({level})"
    total = len(stimuli) if level == "pooled" else sum(pts_of[s]["participant"].nunique() for s in stimuli)
    done = 0
    progress(task, done, total)
    rows = []
    for k, sid in enumerate(stimuli):
        target = np.asarray(targets[sid], dtype=np.float64)
        shape = target.shape
        sigma = sigma_image_px(geometry, sigma_deg, shape[1], float(info.loc[sid, "stim_width"]))
        other = np.concatenate(
            [
                pts_of[o][["x_img", "y_img"]].to_numpy()
                for o in stimuli
                if o != sid and targets[o].shape == shape
            ]
            or [np.empty((0, 2))]
        )
        preds = {"target": target}
        if "shuffled" in predictors and shuffle[sid] is not None and targets[shuffle[sid]].shape == shape:
            preds["shuffled"] = np.asarray(targets[shuffle[sid]], dtype=np.float64)
        if "centre" in predictors:
            preds["centre"] = centre_bias(shape, centre_sigma_frac)
        all_pts = pts_of[sid]
        units = [("pooled", all_pts)] if level == "pooled" else list(all_pts.groupby("participant"))
        for unit, pts_df in units:
            points = pts_df[["x_img", "y_img"]].to_numpy()
            density = fixation_map(points, shape, sigma, blur)
            unit_preds = dict(preds)
            if level == "participant" and "ceiling" in predictors:
                rest = all_pts[all_pts["participant"] != unit][["x_img", "y_img"]].to_numpy()
                if len(rest):
                    unit_preds["ceiling"] = fixation_map(rest, shape, sigma, blur)
            for pname, pmap in unit_preds.items():
                if pname not in predictors:
                    continue
                for metric in metrics:
                    rows.append(
                        {
                            "level": level,
                            "participant": unit,
                            "stimulus_id": sid,
                            "condition": info.loc[sid, "condition"],
                            "item": info.loc[sid, "item"],
                            "predictor": pname,
                            "metric": metric,
                            "value": _score(metric, pmap, points, density, other, derive_seed(seed, k)),
                            "n_fixations": len(points),
                        }
                    )
            done += 1
            progress(task, done, total)
    return pd.DataFrame(rows, columns=ALIGNMENT_COLUMNS)


def _target_key(target: np.ndarray) -> str:
    import hashlib

    return hashlib.sha1(np.ascontiguousarray(target, dtype=np.float32).tobytes()).hexdigest()


def per_stimulus(scores: pd.DataFrame) -> pd.DataFrame:
    """Participant-level scores averaged over participants: one value per stimulus x predictor x metric."""
    keys = ["stimulus_id", "condition", "item", "predictor", "metric"]
    return scores.groupby(keys, dropna=False, sort=True)["value"].mean().reset_index()
