"""Score one predicted saliency map against one target with the metrics of :data:`metrics.METRICS`.

Density metrics (cc, kld, sim, ...) get the target smap; fixation metrics (nss, auc_*, ...) get
the target's binary pseudo-fixation map (see :mod:`gazefusion.bench.targets`). Metrics that take
an ``other`` fixation set (shuffled AUC) get the target's other-smaps map; metrics with a random
part (``seed``: AUC-Judd's jitter, the AUC splits) get the row's stable seed, so a resumed run
reproduces an uninterrupted one exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gazefusion.bench.targets import Target


def score_prediction(
    prediction: np.ndarray, target: Target, metric_names: Sequence[str], seed: int
) -> dict[str, float]:
    """``{metric: value}`` of ``prediction`` (float (H, W)) against ``target``; NaN where undefined."""
    from metrics import METRICS

    values: dict[str, float] = {}
    for name in metric_names:
        spec = METRICS[name]
        kwargs: dict[str, object] = {"seed": seed} if spec.stochastic else {}
        if spec.extra == "other":
            if target.other_map is None:  # a set of one smap has no other fixations
                values[name] = float("nan")
                continue
            kwargs["other"] = target.other_map
        reference = target.density if spec.target == "density" else target.fixation_map
        values[name] = float(spec.fn(prediction, reference, **kwargs))
    return values
