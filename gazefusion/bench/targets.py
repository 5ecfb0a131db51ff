"""Scoring targets built from an smap set: densities, pseudo-fixations and the shuffled control.

The paper's protocol for location-based metrics is not known (PAPER.md), so this module makes it
a documented parameter with a default from the field:

- *density metrics* (cc, kld, sim, ...) compare a prediction with the target smap itself;
- *fixation metrics* (nss, auc_judd, auc_borji, ...) compare it with ``n_fixations`` (default 100)
  pseudo-fixations drawn with replacement from the smap treated as a probability density (pixel
  weight = smap value / sum), seeded per smap, as a binary fixation map (repeated pixels count once);
- ``auc_shuffled`` draws its negatives from the union of the pseudo-fixations of up to
  ``n_other`` (default 10, Borji's M) *other* smaps of the set, chosen with a seeded draw, as in
  Borji's shuffled AUC where the negatives are fixations on other images;
- the *shuffled-target control* scores each image against another smap of the set, given by a
  seeded derangement (a permutation without fixed points), so alignment is read against chance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.utils.seeds import rng as seeded_rng

#: Defaults of the target protocol (see the module docstring).
DEFAULT_N_FIXATIONS = 100
DEFAULT_N_OTHER = 10
DEFAULT_TARGET_SEED = 0


def pseudo_fixations(smap: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` (x, y) pixel positions (int, origin top-left) drawn with replacement from ``smap`` as a density.

    An all-zero smap is treated as uniform.
    """
    if n < 1:
        raise UserInputError(f"--n-fixations: expected >= 1, found {n}")
    weights = np.asarray(smap, dtype=np.float64).ravel()
    total = weights.sum()
    p = weights / total if total > 0 else None
    flat = rng.choice(weights.size, size=n, replace=True, p=p)
    y, x = np.divmod(flat, smap.shape[1])
    return np.stack([x, y], axis=1).astype(np.int64)


def derangement(n: int, seed: int) -> np.ndarray:
    """A seeded random permutation of ``range(n)`` with no fixed point (``n >= 2``), by rejection."""
    if n < 2:
        raise UserInputError(f"the shuffled-target control needs at least 2 smaps in the set, found {n}")
    rng = np.random.default_rng(seed)
    while True:
        perm = rng.permutation(n)
        if not np.any(perm == np.arange(n)):
            return perm


@dataclass(frozen=True)
class Target:
    """What one smap offers as a scoring target (all at the generation size).

    ``density``: the smap; ``fixations``: (N, 2) x, y pseudo-fixations; ``fixation_map``: binary
    (H, W) map of them; ``other_map``: binary map of other smaps' pseudo-fixations (for sAUC),
    ``None`` when the set has a single smap.
    """

    smap_id: str
    density: np.ndarray
    fixations: np.ndarray
    fixation_map: np.ndarray
    other_map: np.ndarray | None


def build_targets(
    smap_ids: Sequence[str],
    smaps: Sequence[np.ndarray],
    n_fixations: int = DEFAULT_N_FIXATIONS,
    n_other: int = DEFAULT_N_OTHER,
    seed: int = DEFAULT_TARGET_SEED,
) -> dict[str, Target]:
    """Targets for every smap of a set (same-size maps), keyed by smap id; seeded, order-stable.

    Smap ``i`` draws its fixations from ``rng(seed, i)`` and its sAUC partners from
    ``rng(seed, i, 1)`` (:mod:`gazefusion.utils.seeds`).
    """
    from metrics import fixations_to_map

    if len(smap_ids) != len(smaps):
        raise ValueError("build_targets: smap_ids and smaps differ in length")
    shape = smaps[0].shape
    fixations = [pseudo_fixations(m, n_fixations, seeded_rng(seed, i)) for i, m in enumerate(smaps)]
    maps = [_as_binary(fixations_to_map(f, shape)) for f in fixations]
    targets = {}
    for i, (sid, smap) in enumerate(zip(smap_ids, smaps, strict=True)):
        others = [j for j in range(len(smaps)) if j != i]
        other_map = None
        if others:
            chosen = seeded_rng(seed, i, 1).permutation(others)[:n_other]
            other_map = np.clip(np.sum([maps[j] for j in chosen], axis=0), 0, 1)
        targets[sid] = Target(sid, np.asarray(smap, np.float32), fixations[i], maps[i], other_map)
    return targets


def _as_binary(fixation_map: np.ndarray) -> np.ndarray:
    return (np.asarray(fixation_map) > 0).astype(np.float64)
