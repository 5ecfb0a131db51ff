"""Saliency metrics with the MIT Saliency Benchmark conventions (NumPy/SciPy; POT for EMD).

``metric(saliency_map, target, ...)`` in the argument order of the MIT code (cvzoya/saliency
``code_forMetrics``; Bylinskii et al., "What do different evaluation metrics tell us about
saliency models?", TPAMI 2019). ``target`` is a continuous fixation-density map for
:func:`cc`, :func:`kld`, :func:`sim`, :func:`emd` and a binary fixation map or (x, y) points for
:func:`nss`, the AUCs and :func:`information_gain`. Maps are NumPy arrays or torch tensors, one
(H, W) -> float, or a batch (N, H, W) -> float64 array (N,). The saliency map is resized to the
target's size with MATLAB's ``imresize`` (:func:`metrics.imresize.imresize`).

Computation is float64 (torch tensors are accepted and converted; float32 maps are read as
float64 element by element, not copied). With numba and ``GAZEFUSION_METRICS_BACKEND=numba``
the per-pixel work runs in fused compiled kernels, one pass over the maps for all of a metric's
sums (:mod:`metrics._fused`, cached on disk after the first call); the NumPy code is the
reference and the fallback (:mod:`metrics._compiled`; its ``DEFAULT`` is NumPy for now). Large batches are
scored in chunks of about 64 MB, and the work of one call is shared among up to 4 threads
(:mod:`metrics._kernels`). This package imports nothing of the rest of the toolkit.
"""

from metrics.auc import auc_borji, auc_judd, auc_shuffled
from metrics.density import cc, kld, sim
from metrics.emd import emd
from metrics.fixations import fixation_density, fixations_to_map, sigma_to_fc
from metrics.imresize import imresize
from metrics.location import information_gain, nss
from metrics.registry import METRICS, MetricSpec, get_metric

__all__ = [
    "METRICS",
    "MetricSpec",
    "auc_borji",
    "auc_judd",
    "auc_shuffled",
    "cc",
    "emd",
    "fixation_density",
    "fixations_to_map",
    "get_metric",
    "imresize",
    "information_gain",
    "kld",
    "nss",
    "sigma_to_fc",
    "sim",
]
