"""Run a benchmark: generate, score and record every work item of a shard, resumably.

Crash safety: an item's image, sidecar and predictions are written first (atomically), its
part-file last; only the part-file marks the item as finished. A crash therefore loses at most
the item in progress, and a re-run (same output folder, same config) skips finished items.
Processes of a sharded run write disjoint part-files; the main process merges them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from gazefusion.bench.generators import Generator
from gazefusion.bench.plan import (
    ALIGNED,
    BASELINE,
    SHUFFLED,
    BenchConfig,
    WorkItem,
    build_plan,
    shard,
)
from gazefusion.bench.results import CONFIG_FILE, PARTS_DIR, RESULTS_FILE, finished_items, write_part
from gazefusion.bench.scoring import score_prediction
from gazefusion.bench.targets import Target, build_targets, derangement
from gazefusion.errors import UserInputError
from gazefusion.progress import NO_PROGRESS, Progress, tracked
from gazefusion.utils.atomic import atomic_write_json
from gazefusion.utils.seeds import stable_hash


@dataclass(frozen=True)
class RunSummary:
    """What one process did: items in its shard, already finished before, generated now."""

    planned: int
    skipped: int
    done: int


#: What a benchmark writes into its folder (``--overwrite`` removes exactly these).
_OUTPUTS = (CONFIG_FILE, RESULTS_FILE, PARTS_DIR, "smaps", "images", "predictions")


def prepare_output(
    out_dir: str | os.PathLike,
    config: BenchConfig,
    smaps: Sequence[np.ndarray],
    overwrite: bool = False,
) -> None:
    """Create the output folder with ``bench.json`` and the smaps, or check a resumed one's config.

    A folder whose config differs is refused, unless no item of it was finished (a run that never
    started: its config is simply replaced) or ``overwrite`` is set (its results are removed).

    Raises
    ------
    UserInputError
        If the folder holds results of a benchmark with another config (the message names the
        fields that differ, old -> new).
    """
    import json

    from gazefusion.smaps.io import save_smap
    from gazefusion.utils.records import differences, other_parameters_error, remove_outputs

    out = Path(out_dir)
    config_path = out / CONFIG_FILE
    fresh = not config_path.is_file()
    if not fresh:
        try:
            old = json.loads(config_path.read_text())
            diff = config.differences(BenchConfig.from_json(old))
        except (OSError, ValueError, TypeError, KeyError):
            old, diff = {}, ["(unreadable bench.json)"]
        if diff and finished_items(out) and not overwrite:
            new = json.loads(json.dumps(config.to_json()))
            named = differences({k: old.get(k) for k in diff}, {k: new.get(k) for k in diff}) or diff
            raise other_parameters_error("--out", out, named)
        if diff:
            remove_outputs(out, _OUTPUTS)
            fresh = True
    if fresh:
        out.mkdir(parents=True, exist_ok=True)
        for smap_id, smap in zip(config.smap_ids, smaps, strict=True):
            save_smap(out / "smaps" / f"{smap_id}.png", smap, bits=16)
        atomic_write_json(config_path, config.to_json())
    for stale in (out / PARTS_DIR).glob(".*"):  # temporary files of writes killed mid-way
        stale.unlink(missing_ok=True)


def shuffled_assignment(config: BenchConfig) -> dict[str, str]:
    """The shuffled-target control: smap id -> the other smap its images are scored against."""
    perm = derangement(len(config.smap_ids), config.shuffle_seed)
    return {sid: config.smap_ids[j] for sid, j in zip(config.smap_ids, perm, strict=True)}


@cache
def _library_versions() -> dict[str, str]:
    from gazefusion.pipeline.provenance import library_versions

    return library_versions()


def metric_seed(*parts: object) -> int:
    """A stable seed for the random parts of metrics (jitter, sAUC splits) from the row's identity:
    the :func:`~gazefusion.utils.seeds.stable_hash` of the parts joined by ``|`` (kept, not a
    ``derive_seed``: the bench's metric draws stay as they were)."""
    return stable_hash("|".join(map(str, parts)))


def run_shard(
    config: BenchConfig,
    out_dir: str | os.PathLike,
    generator: Generator,
    scorers: Mapping[str, Any],
    smaps: Sequence[np.ndarray],
    *,
    limit: int | None = None,
    rank: int = 0,
    world: int = 1,
    progress: Progress = NO_PROGRESS,
) -> RunSummary:
    """Generate and score this process's share of the plan into ``out_dir`` (see the module docstring).

    ``scorers`` maps scorer names to objects with ``predict(images) -> list of (H, W) maps``;
    ``smaps`` are the set's maps in ``config.smap_ids`` order at ``config.size``. ``progress``
    gets ``bench`` (``bench [r/w]`` when sharded): the work items of this process's share, those
    finished by an earlier run counted from the start. Call
    :func:`prepare_output` first (main process) and :func:`~gazefusion.bench.results.merge_results`
    after all processes finish.
    """
    if limit is not None and limit < 1:
        raise UserInputError(f"--limit: expected >= 1, found {limit}")
    plan = build_plan(config)[:limit]
    mine = shard(plan, rank, world)
    done_before = finished_items(out_dir)
    todo = [item for item in mine if item.key not in done_before]
    smap_by_id = dict(zip(config.smap_ids, smaps, strict=True))
    targets = build_targets(config.smap_ids, smaps, config.n_fixations, config.n_other, config.target_seed)
    shuffled_of = shuffled_assignment(config) if config.shuffled else {}
    task = f"bench [{rank + 1}/{world}]" if world > 1 else "bench"
    for item in tracked(todo, progress, task, total=len(mine), start=len(mine) - len(todo)):
        run_item(item, config, Path(out_dir), generator, scorers, smap_by_id, targets, shuffled_of)
    return RunSummary(planned=len(mine), skipped=len(mine) - len(todo), done=len(todo))


def run_item(
    item: WorkItem,
    config: BenchConfig,
    out: Path,
    generator: Generator,
    scorers: Mapping[str, Any],
    smap_by_id: Mapping[str, np.ndarray],
    targets: Mapping[str, Target],
    shuffled_of: Mapping[str, str],
) -> None:
    """Generate one item's image, predict its saliency with every scorer, score it and write its part-file."""
    from gazefusion.utils.images import write_gray, write_rgb

    smap = None if item.smap_id is None else smap_by_id[item.smap_id]
    image = generator.generate(item.prompt.text, smap, item.seed, item.control_scale, config.size)
    image_rel = f"images/{item.condition}/{item.key}.png"
    write_rgb(out / image_rel, image)
    atomic_write_json(
        (out / image_rel).with_suffix(".json"),
        {
            "prompt": item.prompt.text,
            "prompt_id": item.prompt.prompt_id,
            "seed": item.seed,
            "condition": item.condition,
            "smap": item.smap_id,
            "control_scale": item.control_scale,
            "size": list(config.size),
            "model": generator.description,
            "item": item.key,
            "params": generator.params(item.control_scale),
            "versions": _library_versions(),
        },
    )
    # (target kind, target smap) pairs this item is scored against
    if item.condition == BASELINE:
        pairs = [(sid, ALIGNED, sid) for sid in config.smap_ids]
    else:
        pairs = [(item.smap_id, ALIGNED, item.smap_id)]
        if config.shuffled:
            pairs.append((item.smap_id, SHUFFLED, shuffled_of[item.smap_id]))
    rows = []
    for scorer_name, scorer in scorers.items():
        prediction = scorer.predict([image])[0]
        pred_rel = f"predictions/{scorer_name}/{item.condition}/{item.key}.png"
        write_gray(out / pred_rel, prediction)
        for smap_id, target_kind, target_smap in pairs:
            seed = metric_seed(item.key, scorer_name, smap_id, target_kind)
            values = score_prediction(prediction, targets[target_smap], config.metrics, seed=seed)
            rows.extend(
                {
                    "prompt_id": item.prompt.prompt_id,
                    "prompt": item.prompt.text,
                    "smap": smap_id,
                    "seed": item.seed,
                    "condition": item.condition,
                    "control_scale": item.control_scale,
                    "target": target_kind,
                    "target_smap": target_smap,
                    "scorer": scorer_name,
                    "metric": metric,
                    "value": float(value),
                    "image": image_rel,
                    "prediction": pred_rel,
                    "item": item.key,
                }
                for metric, value in values.items()
            )
    write_part(out, item.key, rows)
