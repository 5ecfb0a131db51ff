"""Simulated studies with **image-driven** observers: is gaze drawn to the target because the
images show it?

The observers (:meth:`study.observer.SimulatedObserver.from_image`) look at the displayed pixels
through a registry saliency model; the target smaps are used only to score the gaze. So a
simulated study can tell images that follow their targets from images that do not (noise, an
unguided baseline, a shuffled pairing) — unlike planted observers (:mod:`analysis.power`).

- :func:`simulated_fixations`: fixations of ``n_participants`` simulated participants on images
  (each participant a seeded variant of the population observer; first fixation, on the
  fixation cross, dropped).
- :func:`target_nss`: NSS of each stimulus' target map at those fixations.
- :func:`guided_vs_baseline`: generate GazeFusion images (control scale 1) and baseline images
  (the same prompt and seed at control scale 0) for built-in smaps, simulate a study of both and
  compare the target alignment per participant: ``NSS(target | guided) - NSS(target |
  baseline)``, with a bootstrap 95% CI over participants. The lead's numbers come from this.

Display (as the demo study of :mod:`study.demo_data`): 640x480 px, 34 cm wide at 60 cm
(19.7 px/deg); images shown at 384x384 px (19.5 deg), whatever their pixel size.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.stats import MeanCI
from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry
from gazefusion.utils.seeds import seed_sequence

#: The demo study's display and on-screen stimulus size (see :mod:`study.demo_data`).
DISPLAY = DisplayGeometry(width_px=640, height_px=480, width_cm=34.0, distance_cm=60.0)
STIMULUS_PX = 384
#: Default smaps and prompts of :func:`guided_vs_baseline` (built-in smaps, demo prompts).
SMAPS = ("smap1", "smap2", "blob_left", "blob_top_right", "blob_right", "blob_center")
PROMPTS = ("a sailboat on the sea", "a red apple on a table", "a street at night")


def _rect(geometry: DisplayGeometry, stimulus_px: int) -> tuple[float, float, float, float]:
    if stimulus_px > min(geometry.width_px, geometry.height_px):
        raise UserInputError(
            f"stimulus_px: expected at most the display's smaller side "
            f"({min(geometry.width_px, geometry.height_px)} px), got {stimulus_px}"
        )
    return geometry.centred_rect((stimulus_px, stimulus_px), fit="none")


def simulated_fixations(
    images: Sequence[np.ndarray],
    n_participants: int,
    *,
    geometry: DisplayGeometry = DISPLAY,
    stimulus_px: int = STIMULUS_PX,
    viewing_s: float = 5.0,
    saliency_model: str | None = None,
    seed: int = 0,
) -> list[list[np.ndarray]]:
    """Fixations ``[stimulus][participant]`` as (K, 2) arrays of (x, y) in the image's own pixels
    (first fixation dropped; fixations off the image dropped) of image-driven observers viewing
    each ``uint8`` RGB image for ``viewing_s`` s, shown as a ``stimulus_px`` square centred on
    ``geometry``. Participant ``p`` has the traits seeded by ``(seed, p)`` on every image."""
    from analysis.power import observer_fixations
    from study.observer import SimulatedObserver

    if n_participants < 1:
        raise UserInputError(f"n_participants: expected a positive integer, got {n_participants}")
    rect = _rect(geometry, stimulus_px)
    out = []
    for s, image in enumerate(images):
        row = []
        for p in range(n_participants):
            obs = SimulatedObserver.from_image(
                image,
                geometry,
                stimulus_rect=rect,
                saliency_model=saliency_model,
                seed=seed_sequence(seed, s, p),
                traits_seed=seed_sequence(seed, p, 1),
                blink_rate_hz=0.0,
            )
            row.append(observer_fixations(obs, viewing_s))
        out.append(row)
    return out


def target_nss(
    fixations: list[list[np.ndarray]], targets: Sequence[np.ndarray], image_sizes: Sequence[tuple[int, int]]
) -> np.ndarray:
    """(stimuli, participants) NSS of ``targets[s]`` (any size) at ``fixations[s][p]`` (image
    pixels of an image of ``image_sizes[s]`` = (width, height)); NaN without fixations."""
    from metrics import nss

    if not len(fixations) == len(targets) == len(image_sizes):
        raise UserInputError(
            f"fixations, targets and image_sizes must have one entry per stimulus, got "
            f"{len(fixations)}, {len(targets)}, {len(image_sizes)}"
        )
    n_p = max((len(r) for r in fixations), default=0)
    out = np.full((len(fixations), n_p), np.nan)
    for s, (row, target, (iw, ih)) in enumerate(zip(fixations, targets, image_sizes, strict=True)):
        th, tw = np.asarray(target).shape
        for p, pts in enumerate(row):
            if len(pts):
                out[s, p] = nss(target, np.asarray(pts) * [tw / iw, th / ih])
    return out


@dataclass(frozen=True)
class GuidedVsBaseline:
    """Result of :func:`guided_vs_baseline`.

    ``scores``: one row per (condition, stimulus, participant): ``condition`` (guided/baseline),
    ``smap``, ``prompt``, ``participant``, ``nss`` (target NSS). ``per_participant``: per
    participant the mean NSS of each condition and their difference ``diff``. ``diff``: mean of
    ``diff`` with its bootstrap 95% CI (:class:`analysis.stats.MeanCI`). ``saliency_model``: the
    observers' model. ``model``: the generator's description.
    """

    scores: pd.DataFrame
    per_participant: pd.DataFrame
    diff: MeanCI
    saliency_model: str
    model: str

    def summary(self) -> str:
        """One line with the numbers."""
        pp = self.per_participant
        d = self.diff
        return (
            f"target NSS of simulated gaze (image-driven observers, {self.saliency_model}): "
            f"GazeFusion {pp['guided'].mean():.3f}, baseline {pp['baseline'].mean():.3f}, "
            f"difference {d.mean:.3f} [95% CI {d.low:.3f}, {d.high:.3f}] over {d.n} participants "
            f"x {self.scores['smap'].nunique()} smaps x {self.scores['prompt'].nunique()} prompts"
        )


def guided_vs_baseline(
    model: str | os.PathLike | None = None,
    *,
    smaps: Sequence[str] = SMAPS,
    prompts: Sequence[str] = PROMPTS,
    size: int = 64,
    steps: int | None = None,
    n_participants: int = 20,
    viewing_s: float = 5.0,
    saliency_model: str | None = None,
    seed: int = 0,
    pipe=None,
) -> GuidedVsBaseline:
    """Simulated study of GazeFusion vs baseline images (see the module docstring).

    For every prompt x smap: a ``size`` x ``size`` image at control scale 1 (GazeFusion) and one
    at control scale 0 (baseline: the same prompt and seed), both scored against that smap.
    ``model``: the generator (None: the default model); ``pipe`` overrides it; ``steps``: DDIM
    steps (None: the pipeline's default).
    """
    from analysis.stats import mean_ci
    from gazefusion.smaps import resolve_smap
    from study.observer import default_saliency_model

    if pipe is None:
        from gazefusion.pipeline import GazeFusionPipeline

        pipe = GazeFusionPipeline.from_pretrained(model)
    saliency_model = saliency_model or default_saliency_model()
    kw = {} if steps is None else {"steps": steps}
    images, targets, rows = [], [], []
    for k, name in enumerate(smaps):
        smap, _ = resolve_smap(name, size=(size, size))
        for j, prompt in enumerate(prompts):
            for condition, scale in (("guided", 1.0), ("baseline", 0.0)):
                out = pipe(prompt, smap, seed=seed + 100 * k + j, num_samples=1, control_scale=scale, **kw)
                images.append(np.asarray(out.images[0]))
                targets.append(smap)
                rows.append((condition, name, prompt))
    fix = simulated_fixations(
        images, n_participants, viewing_s=viewing_s, saliency_model=saliency_model, seed=seed
    )
    nss = target_nss(fix, targets, [(im.shape[1], im.shape[0]) for im in images])
    scores = pd.DataFrame(
        [
            {"condition": c, "smap": m, "prompt": pr, "participant": p, "nss": nss[i, p]}
            for i, (c, m, pr) in enumerate(rows)
            for p in range(nss.shape[1])
        ]
    )
    per_p = scores.pivot_table(index="participant", columns="condition", values="nss", aggfunc="mean")
    per_p["diff"] = per_p["guided"] - per_p["baseline"]
    description = getattr(pipe, "model_description", None) or str(model)
    return GuidedVsBaseline(
        scores=scores,
        per_participant=per_p.reset_index(),
        diff=mean_ci(per_p["diff"].to_numpy()),
        saliency_model=saliency_model,
        model=str(description),
    )
