"""Registry of the metrics by name, with the kind of target each one needs.

``METRICS["cc"].fn(saliency_map, target)``; ``target`` is a continuous fixation-density map when
``METRICS[name].target == "density"`` and a binary fixation map or (x, y) points when it is
``"fixations"``. ``extra`` names a further keyword argument the metric needs (``other`` for the
shuffled AUC) or accepts (``baseline`` for information gain); ``higher_is_better`` orients the
scores for reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from metrics.auc import auc_borji, auc_judd, auc_shuffled
from metrics.density import cc, kld, sim
from metrics.emd import emd
from metrics.location import information_gain, nss

__all__ = ["METRICS", "MetricSpec", "get_metric", "lower_is_better"]


@dataclass(frozen=True)
class MetricSpec:
    """One metric: its function, target kind and conventions."""

    name: str
    fn: Callable[..., object]
    target: Literal["density", "fixations"]
    higher_is_better: bool
    stochastic: bool = False
    extra: str | None = None
    extra_required: bool = False


METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("cc", cc, "density", True),
        MetricSpec("kld", kld, "density", False),
        MetricSpec("sim", sim, "density", True),
        MetricSpec("emd", emd, "density", False),
        MetricSpec("nss", nss, "fixations", True),
        MetricSpec("auc_judd", auc_judd, "fixations", True, stochastic=True),
        MetricSpec("auc_borji", auc_borji, "fixations", True, stochastic=True),
        MetricSpec(
            "auc_shuffled",
            auc_shuffled,
            "fixations",
            True,
            stochastic=True,
            extra="other",
            extra_required=True,
        ),
        MetricSpec("information_gain", information_gain, "fixations", True, extra="baseline"),
    )
}


def lower_is_better(name: str) -> bool:
    """Whether a lower value of metric ``name`` means a better match (KLD, EMD); False for names
    that are not metrics (a table's other columns)."""
    return name in METRICS and not METRICS[name].higher_is_better


def get_metric(name: str) -> MetricSpec:
    """The :class:`MetricSpec` called ``name``; otherwise a ``KeyError`` with the registries' one
    message form, ``unknown metric 'auc'; known: auc_borji, ...`` (sorted names).

    ``metrics`` imports nothing of the toolkit (``tests/test_layers.py``), so this is not a
    :class:`gazefusion.registry.Registry` and cannot raise ``gazefusion.errors.UnknownNameError``;
    callers facing the user re-raise it as one (``gazefusion.bench.benchmark.resolve_metrics``).
    """
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(sorted(METRICS))}") from None
