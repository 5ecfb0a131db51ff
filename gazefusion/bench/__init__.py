"""Model-based saliency benchmark (``gazefusion bench``): generate over prompt x smap x seed, score, report.

- :mod:`~gazefusion.bench.prompts`: prompt sets (txt, CSV, JSONL, COCO captions); the shipped set.
- :mod:`~gazefusion.bench.smapset`: the smap set (files, specs, built-ins, folders) at one size.
- :mod:`~gazefusion.bench.targets`: densities, pseudo-fixations, sAUC negatives, the derangement.
- :mod:`~gazefusion.bench.plan`: :class:`BenchSettings`, :class:`BenchConfig`, work items, shards.
- :mod:`~gazefusion.bench.generators`: the model under test (baseline = ControlNet strength 0).
- :mod:`~gazefusion.bench.scoring`: one prediction against one target with the metric registry.
- :mod:`~gazefusion.bench.runner`: the resumable, crash-safe loop; one Parquet part per item.
- :mod:`~gazefusion.bench.results`: the table's columns, part-files and merge.
- :mod:`~gazefusion.bench.benchmark`: :class:`BenchOptions`, :func:`run_benchmark`, everything above
  under accelerate.

The report (statistics and figures) is analysis code: :mod:`analysis.bench_report`.
"""

from gazefusion.bench.benchmark import BenchOptions, BenchRun, run_benchmark
from gazefusion.bench.plan import (
    DEFAULT_METRICS,
    BenchConfig,
    BenchSettings,
    WorkItem,
    build_plan,
    shard,
)
from gazefusion.bench.prompts import DEFAULT_PROMPTS, Prompt, load_prompts
from gazefusion.bench.results import COLUMNS, KEY_COLUMNS, merge_results, read_results
from gazefusion.bench.smapset import DEFAULT_SMAP_DIR, BenchSmap, load_smap_set

__all__ = [
    "COLUMNS",
    "DEFAULT_METRICS",
    "DEFAULT_PROMPTS",
    "DEFAULT_SMAP_DIR",
    "KEY_COLUMNS",
    "BenchConfig",
    "BenchOptions",
    "BenchRun",
    "BenchSettings",
    "BenchSmap",
    "Prompt",
    "WorkItem",
    "build_plan",
    "load_prompts",
    "load_smap_set",
    "merge_results",
    "read_results",
    "run_benchmark",
    "shard",
]
