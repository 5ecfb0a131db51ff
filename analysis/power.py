"""Monte-Carlo power analysis of the gaze-alignment test with the study's simulated observers.

One simulated study (assumptions, all parameters of :class:`PowerSetup`):

- ``n_stimuli`` target smaps, each 1-3 random Gaussian blobs (:func:`random_blob_smaps`);
- the *image* made for target ``s`` attracts gaze like the map ``effect * target_s +
  (1 - effect) * other_s``, where ``other_s`` is an independent random blob map (the part of
  the image's saliency that has nothing to do with the target): ``effect`` = 0 is an image that
  ignores its target, 1 an image whose saliency is exactly the target;
- each participant views each image with :class:`study.observer.SimulatedObserver` in its
  **planted** mode (:data:`OBSERVER_MODE`: the observer looks at that map, not at pixels; the
  effect is planted on purpose) with the study's scan-path model (SceneWalk: centre bias,
  saccade-amplitude prior, inhibition of return), fixation durations, saccade timing and
  accuracy offset; each participant a seeded variant of the population observer; ``viewing_s``
  seconds; the first fixation, on the fixation cross, is dropped;
- the planned test: per stimulus, the participant-averaged ``metric`` (default NSS) of the
  target minus that of a shuffled target (another stimulus' target); a two-sided paired t-test
  across stimuli at ``alpha``.

Power = fraction of ``sims`` simulated studies with p < alpha. Designs are nested: each simulated
study is drawn at the largest size and the smaller designs use its first participants and
stimuli, so all cells of a curve share random numbers (smooth curves, same cost as the largest).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from gazefusion.config import Config
from gazefusion.errors import UserInputError
from gazefusion.geometry import DEFAULT_LAB_DISPLAY, DisplayGeometry
from gazefusion.progress import NO_PROGRESS, Progress
from gazefusion.utils.seeds import seed_sequence

#: The simulated observers' mode (see :mod:`study.observer`): they look at a planted map.
OBSERVER_MODE = "planted"


class PowerSetup(Config):
    """Assumptions of the simulated studies (defaults: a typical lab free-viewing study). Errors name
    the ``gazefusion analyze power`` option of a field (``--metric``)."""

    label_style = "option"

    geometry: DisplayGeometry = DEFAULT_LAB_DISPLAY
    stimulus_px: int = Field(512, gt=0)
    map_size: int = Field(32, gt=0)
    viewing_s: float = Field(5.0, gt=0)
    centre_bias_weight: float = Field(0.3, ge=0, le=1)
    accuracy_offset_deg: float = Field(0.5, ge=0)
    metric: str = "nss"
    alpha: float = Field(0.05, gt=0, lt=1)
    seed: int = 0
    observer_kwargs: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def field_label(cls, loc: Sequence[str | int]) -> str:
        if loc and loc[0] == "centre_bias_weight":
            return "--centre-bias"
        return super().field_label(loc)

    @field_validator("metric")
    @classmethod
    def _fixation_metric(cls, metric: str) -> str:
        from metrics import METRICS

        spec = METRICS.get(metric)
        if spec is None or spec.target != "fixations" or spec.extra:
            ok = [m for m, s in METRICS.items() if s.target == "fixations" and not s.extra]
            raise ValueError(f"a fixation metric without extra inputs ({', '.join(ok)})")
        return metric


def random_blob_smaps(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random smaps (n, size, size) in [0, 1]: 1-3 Gaussian blobs each, centres uniform in the
    middle 80%, sigmas 6-20% of the side, peak 1."""
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    out = np.zeros((n, size, size))
    for i in range(n):
        for _ in range(int(rng.integers(1, 4))):
            cx, cy = rng.uniform(0.1, 0.9, 2) * size
            sx, sy = rng.uniform(0.06, 0.2, 2) * size
            out[i] += rng.uniform(0.5, 1.0) * np.exp(-0.5 * (((xx - cx) / sx) ** 2 + ((yy - cy) / sy) ** 2))
        out[i] /= out[i].max()
    return out


def observer_fixations(observer, duration_s: float) -> np.ndarray:
    """(K, 2) fixation positions in smap pixels of ``observer`` over ``duration_s``, first (start)
    fixation excluded: the same positions as ``observer.fixations(duration_s)[1:]``, without
    building DataFrames (about 5x faster; ``tests/analysis/test_power.py`` checks they agree)."""
    seg = observer.segments(duration_s)
    fix = seg[(seg[:, 0] == 0) & (seg[:, 1] < duration_s)][1:]
    left, top, rw, rh = observer.stimulus_rect
    w, h = observer.image_size
    x = (fix[:, 5] + observer.offset_px[0] - left) * w / rw
    y = (fix[:, 6] + observer.offset_px[1] - top) * h / rh
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    return np.column_stack([x, y])[inside]


def simulate_study_scores(
    effect: float, n_participants: int, n_stimuli: int, setup: PowerSetup, replicate: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """One simulated study: (target, shuffled) scores, each (n_stimuli, n_participants); NaN
    where a participant made no fixation on the image."""
    from metrics import METRICS
    from study.observer import SimulatedObserver

    if not 0.0 <= effect <= 1.0:
        raise UserInputError(f"--effect: expected values in [0, 1], got {effect}")
    if n_stimuli < 2:
        raise UserInputError(f"--stimuli: the shuffled control needs at least 2 stimuli, got {n_stimuli}")
    ss = seed_sequence(setup.seed, replicate)
    rng = np.random.default_rng(ss.spawn(1)[0])
    targets = random_blob_smaps(n_stimuli, setup.map_size, rng)
    others = random_blob_smaps(n_stimuli, setup.map_size, rng)
    images = effect * targets / targets.sum(axis=(1, 2), keepdims=True) + (1 - effect) * others / others.sum(
        axis=(1, 2), keepdims=True
    )
    g = setup.geometry
    rect = (
        (g.width_px - setup.stimulus_px) / 2,
        (g.height_px - setup.stimulus_px) / 2,
        float(setup.stimulus_px),
        float(setup.stimulus_px),
    )
    shuffled = np.roll(targets, 1, axis=0)  # a derangement: stimulus s scored by target s - 1
    fn = METRICS[setup.metric].fn
    kwargs = {"seed": 0} if METRICS[setup.metric].stochastic else {}
    target_scores = np.full((n_stimuli, n_participants), np.nan)
    shuffled_scores = np.full((n_stimuli, n_participants), np.nan)
    obs_kw = {
        "centre_bias_weight": setup.centre_bias_weight,
        "accuracy_offset_deg": setup.accuracy_offset_deg,
        "blink_rate_hz": 0.0,
        **setup.observer_kwargs,
    }
    for s in range(n_stimuli):
        points = []
        for p in range(n_participants):
            obs = SimulatedObserver.planted(
                images[s],
                g,
                stimulus_rect=rect,
                seed=seed_sequence(setup.seed, replicate, s, p),
                traits_seed=seed_sequence(setup.seed, replicate, p, 1),
                **obs_kw,
            )
            points.append(observer_fixations(obs, setup.viewing_s))
        ok = [p for p in range(n_participants) if len(points[p])]
        if ok:
            pts = [points[p] for p in ok]
            target_scores[s, ok] = fn(np.repeat(targets[s][None], len(ok), 0), pts, **kwargs)
            shuffled_scores[s, ok] = fn(np.repeat(shuffled[s][None], len(ok), 0), pts, **kwargs)
    return target_scores, shuffled_scores


def planned_test(target: np.ndarray, shuffled: np.ndarray) -> tuple[float, float, float]:
    """(mean difference, Cohen's d_z, two-sided paired-t p) across stimuli of the participant-averaged
    target - shuffled scores ((stimuli, participants) arrays)."""
    from scipy import stats

    d = np.nanmean(target - shuffled, axis=1)
    d = d[np.isfinite(d)]
    if d.size < 2 or d.std(ddof=1) == 0:
        return float(np.mean(d)) if d.size else float("nan"), float("nan"), float("nan")
    res = stats.ttest_1samp(d, 0.0)
    return float(d.mean()), float(d.mean() / d.std(ddof=1)), float(res.pvalue)


def power_curve(
    effects: Sequence[float],
    participants: Sequence[int],
    stimuli: Sequence[int],
    sims: int = 100,
    setup: PowerSetup | None = None,
    progress: Progress = NO_PROGRESS,
) -> pd.DataFrame:
    """Power for every effect x participants x stimuli: columns ``effect, participants, stimuli,
    power, power_ci_low, power_ci_high`` (Wilson 95% interval over ``sims``), ``mean_diff``,
    ``mean_dz`` (averages over the simulated studies) and ``sims``. ``progress`` gets
    ``simulating studies``: the ``sims x len(effects)`` simulated studies."""
    from statsmodels.stats.proportion import proportion_confint

    setup = setup or PowerSetup()
    participants, stimuli = sorted(set(int(p) for p in participants)), sorted(set(int(s) for s in stimuli))
    if not participants or participants[0] < 1:
        raise UserInputError(f"--participants: expected positive integers, got {participants}")
    if not stimuli or stimuli[0] < 2:
        raise UserInputError(f"--stimuli: expected integers >= 2, got {stimuli}")
    if sims < 1:
        raise UserInputError(f"--sims: expected a positive integer, got {sims}")
    rows = []
    task, total = "simulating studies", sims * len(effects)
    progress(task, 0, total)
    for k, effect in enumerate(effects):
        results = {(p, s): [] for p in participants for s in stimuli}
        for rep in range(sims):
            tgt, shf = simulate_study_scores(effect, participants[-1], stimuli[-1], setup, replicate=rep)
            for p in participants:
                for s in stimuli:
                    results[(p, s)].append(planned_test(tgt[:s, :p], shf[:s, :p]))
            progress(task, k * sims + rep + 1, total)
        for (p, s), res in results.items():
            arr = np.asarray(res, dtype=np.float64)
            n_sig = int(np.sum(arr[:, 2] < setup.alpha))
            lo, hi = proportion_confint(n_sig, sims, alpha=0.05, method="wilson")
            rows.append(
                {
                    "effect": float(effect),
                    "participants": p,
                    "stimuli": s,
                    "power": n_sig / sims,
                    "power_ci_low": float(lo),
                    "power_ci_high": float(hi),
                    "mean_diff": float(np.nanmean(arr[:, 0])),
                    "mean_dz": float(np.nanmean(arr[:, 1])),
                    "sims": sims,
                }
            )
    return pd.DataFrame(rows)


def smallest_designs(curve: pd.DataFrame, target_power: float = 0.8) -> pd.DataFrame:
    """Per effect and number of stimuli, the fewest participants reaching ``target_power`` (NaN if none)."""
    rows = []
    for (effect, s), grp in curve.groupby(["effect", "stimuli"], sort=True):
        ok = grp[grp["power"] >= target_power].sort_values("participants")
        rows.append(
            {
                "effect": effect,
                "stimuli": s,
                "participants_needed": float(ok["participants"].iloc[0]) if len(ok) else float("nan"),
                "target_power": target_power,
            }
        )
    return pd.DataFrame(rows)


def setup_dict(setup: PowerSetup) -> dict:
    """The setup as plain data (for the report)."""
    return {**setup.to_json(), "observer_mode": OBSERVER_MODE}
