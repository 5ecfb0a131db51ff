"""One call that runs a whole benchmark: resolve inputs, load models, shard, run, merge.

:func:`run_benchmark` is what ``gazefusion bench run`` and ``gazefusion demo`` call. Under
``accelerate launch`` every process runs it; accelerate's ``PartialState`` gives each its rank,
world size and device; process 0 writes the config and merges the part-files at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gazefusion.bench.generators import Generator, PipelineGenerator
from gazefusion.bench.plan import DEFAULT_METRICS, BenchConfig
from gazefusion.bench.prompts import DEFAULT_PROMPTS, load_prompts
from gazefusion.bench.results import merge_results
from gazefusion.bench.runner import RunSummary, prepare_output, run_shard
from gazefusion.bench.smapset import DEFAULT_SMAP_DIR, load_smap_set
from gazefusion.bench.targets import DEFAULT_N_FIXATIONS, DEFAULT_N_OTHER, DEFAULT_TARGET_SEED
from gazefusion.errors import UserInputError
from gazefusion.progress import NO_PROGRESS, Progress


@dataclass(frozen=True)
class BenchRun:
    """Outcome of :func:`run_benchmark` in this process; ``results`` is set on the main process."""

    out_dir: Path
    config: BenchConfig
    summary: RunSummary
    results: Path | None


def resolve_metrics(names: Sequence[str]) -> tuple[str, ...]:
    """Check metric names against :data:`metrics.METRICS` (an unknown name lists the known ones)."""
    from metrics import get_metric

    for name in names:
        try:
            get_metric(name)
        except KeyError as exc:  # metrics imports nothing of gazefusion: a plain KeyError
            raise UserInputError(f"--metrics: {exc.args[0]}") from None
    if len(set(names)) != len(names):
        raise UserInputError(f"--metrics: expected distinct names, found {list(names)}")
    return tuple(names)


def resolve_scorers(names: Sequence[str] | None, device: str = "cpu") -> dict[str, object]:
    """Build the scorer saliency models (``None``: every model usable on this machine)."""
    from gazefusion.saliency import available_saliency_models, get_saliency_model

    if names is None:
        names = available_saliency_models(usable_only=True)
    scorers = {}
    for name in names:
        try:
            model = get_saliency_model(name, device=device)
        except UserInputError as exc:
            raise UserInputError(f"--scorers: {exc}") from None
        if not model.is_available():
            raise UserInputError(
                f"--scorers: saliency model {name!r} cannot run here (weights or libraries "
                f"missing); usable models: {', '.join(available_saliency_models())}"
            )
        scorers[name] = model
    if not scorers:
        raise UserInputError(
            "--scorers: expected at least one saliency model, found none usable on this machine"
        )
    return scorers


def run_benchmark(
    out_dir: str | os.PathLike,
    *,
    prompts: str | os.PathLike = DEFAULT_PROMPTS,
    smaps: Sequence[str | os.PathLike] = (DEFAULT_SMAP_DIR,),
    seeds: Sequence[int] = (0,),
    model: str | None = None,
    scorers: Sequence[str] | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    control_scales: Sequence[float] = (1.0,),
    steps: int = 50,
    guidance_scale: float = 9.0,
    size: tuple[int, int] | None = None,
    baseline: bool = True,
    shuffled: bool = True,
    n_fixations: int = DEFAULT_N_FIXATIONS,
    n_other: int = DEFAULT_N_OTHER,
    target_seed: int = DEFAULT_TARGET_SEED,
    shuffle_seed: int = 0,
    limit: int | None = None,
    device: str | None = None,
    dtype: str | None = None,
    overwrite: bool = False,
    generator: Generator | None = None,
    progress: Progress = NO_PROGRESS,
    log: Callable[[str], None] = print,
) -> BenchRun:
    """Run (or resume) a benchmark into ``out_dir``; arguments as ``gazefusion bench run --help``.

    ``generator`` replaces the model under test (``model``, ``steps``, ``dtype`` are then unused);
    ``progress`` gets the main process's ``bench`` task (work items, see
    :func:`~gazefusion.bench.runner.run_shard`); ``log`` gets
    one-line messages (main process only); ``overwrite`` replaces the results of another config
    in ``out_dir`` (otherwise such a run is refused, see
    :func:`~gazefusion.bench.runner.prepare_output`).
    """
    from accelerate import PartialState

    from gazefusion.limits import check_image_side
    from gazefusion.pipeline.core import check_finite
    from gazefusion.pipeline.provenance import array_sha256
    from gazefusion.utils.paths import check_output_dir

    # cheap validation first: a typo fails before any model is loaded or any file is written
    check_output_dir(out_dir, "--out")
    if size is not None:
        for side in size:
            check_image_side(side, "--size")
    check_finite(**{"--guidance": guidance_scale})
    for scale in control_scales:
        check_finite(**{"--control-scales": scale})
    if steps < 1:
        raise UserInputError(f"--steps: expected a positive integer, found {steps}")
    if device is not None:
        from gazefusion.devices import torch_device

        torch_device(device)
    prompt_list = load_prompts(prompts)
    smap_set = load_smap_set(smaps, size)
    metric_names = resolve_metrics(metrics)
    if "emd" in metric_names:
        from metrics.emd import check_emd_size

        try:
            check_emd_size(smap_set[0].smap.shape)
        except ValueError as exc:
            raise UserInputError(f"--metrics: {exc}; drop emd or pass a larger --size") from None
    import torch

    # cpu=True lets a CPU-only launch (torchrun / accelerate with WORLD_SIZE > 1) shard over gloo
    state = PartialState(cpu=device == "cpu" or not torch.cuda.is_available())
    run_device = device or str(state.device)
    scorer_models = resolve_scorers(scorers, device=run_device)
    main = state.is_main_process
    if generator is None:
        generator = PipelineGenerator.load(
            model, steps=steps, guidance_scale=guidance_scale, device=run_device, dtype=dtype
        )
        multiple = generator.pipeline.size_multiple
        h, w = smap_set[0].smap.shape
        if h % multiple or w % multiple:
            raise UserInputError(
                f"--size: image sides must be multiples of {multiple}, found {w}x{h} (pass --size)"
            )
    if main:
        log(f"model: {generator.description}")
        notice = getattr(generator, "notice", None)
        if notice:
            log(f"note: {notice}")
    config = BenchConfig(
        prompts=tuple(prompt_list),
        smap_ids=tuple(s.smap_id for s in smap_set),
        smap_sha256=tuple(array_sha256(s.smap) for s in smap_set),
        size=(smap_set[0].smap.shape[1], smap_set[0].smap.shape[0]),
        seeds=tuple(int(s) for s in seeds),
        model=generator.description,
        scorers=tuple(scorer_models),
        metrics=metric_names,
        control_scales=tuple(float(c) for c in control_scales),
        steps=steps,
        guidance_scale=guidance_scale,
        baseline=baseline,
        shuffled=shuffled,
        n_fixations=n_fixations,
        n_other=n_other,
        target_seed=target_seed,
        shuffle_seed=shuffle_seed,
    )
    out = Path(out_dir)
    if main:
        prepare_output(out, config, [s.smap for s in smap_set], overwrite=overwrite)
    state.wait_for_everyone()
    summary = run_shard(
        config,
        out,
        generator,
        scorer_models,
        [s.smap for s in smap_set],
        limit=limit,
        rank=state.process_index,
        world=state.num_processes,
        progress=progress if main else NO_PROGRESS,
    )
    state.wait_for_everyone()
    results = None
    if main:
        results = merge_results(out)
        shard_note = f" by process 1 of {state.num_processes}" if state.num_processes > 1 else ""
        log(
            f"{summary.done} items generated and scored{shard_note}, {summary.skipped} already done; results: {results}"
        )
    return BenchRun(out, config, summary, results)
