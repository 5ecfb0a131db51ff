"""Scoring generated images against the designed smap with a registry saliency model.

The scorer (any :mod:`gazefusion.saliency` model) predicts each image's saliency; the prediction
is compared with the designed map by the benchmark's protocol (:mod:`gazefusion.bench.targets`):
density metrics (CC, KLD, SIM) against the map itself, fixation metrics (NSS, AUC-Judd) against
pseudo-fixations drawn from it with the benchmark's default count and seed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Metrics shown in the page, with their column labels (names of :data:`metrics.METRICS`).
METRIC_LABELS = {"cc": "CC", "kld": "KLD", "nss": "NSS", "sim": "SIM", "auc_judd": "AUC"}


def score_images(
    images: Sequence[np.ndarray], smap: np.ndarray, scorer
) -> tuple[list[np.ndarray], list[dict[str, float]]]:
    """Predictions (float32 (H, W) in [0, 1]) of ``scorer`` on ``images`` (uint8 RGB) and the metrics
    of :data:`METRIC_LABELS` of each against ``smap`` (the target, same size as the images)."""
    from gazefusion.bench.scoring import score_prediction
    from gazefusion.bench.targets import DEFAULT_TARGET_SEED, build_targets

    if not images:
        return [], []
    target = build_targets(["design"], [smap])["design"]
    predictions = scorer.predict(list(images))
    scores = [
        score_prediction(pred, target, list(METRIC_LABELS), seed=DEFAULT_TARGET_SEED) for pred in predictions
    ]
    return predictions, scores
