"""One call that runs a whole benchmark: resolve inputs, load models, shard, run, merge.

:func:`run_benchmark` is what ``gazefusion bench run`` and ``gazefusion demo`` call, with a
:class:`BenchOptions` (the options of ``gazefusion bench run``, checked when it is made). Under
``accelerate launch`` every process runs it; accelerate's ``PartialState`` gives each its rank,
world size and device; process 0 writes the config and merges the part-files at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import field_validator

from gazefusion.bench.generators import Generator, PipelineGenerator
from gazefusion.bench.plan import BenchConfig, BenchSettings
from gazefusion.bench.prompts import DEFAULT_PROMPTS, load_prompts
from gazefusion.bench.results import merge_results
from gazefusion.bench.runner import RunSummary, prepare_output, run_shard
from gazefusion.bench.smapset import DEFAULT_SMAP_DIR, load_smap_set
from gazefusion.errors import UserInputError
from gazefusion.progress import NO_PROGRESS, Progress


class BenchOptions(BenchSettings):
    """The options of ``gazefusion bench run`` (see its ``--help``), checked when made.

    Besides the :class:`~gazefusion.bench.plan.BenchSettings` that go into the run's
    :class:`~gazefusion.bench.plan.BenchConfig` as given: the prompt set file, the smaps (files,
    spec files, built-in names or folders), the model (None: ``$GAZEFUSION_MODEL`` or the default),
    the scorers (None: every saliency model usable here), the image ``size`` (width, height; None:
    the smaps' size), ``limit`` (only the first N work items), the torch ``device`` and ``dtype``,
    and ``overwrite`` (replace the results of a benchmark with other settings in the folder).
    """

    prompts: Path = DEFAULT_PROMPTS
    smaps: tuple[str, ...] = (os.fspath(DEFAULT_SMAP_DIR),)
    model: str | None = None
    scorers: tuple[str, ...] | None = None
    size: tuple[int, int] | None = None
    limit: int | None = None
    device: str | None = None
    dtype: str | None = None
    overwrite: bool = False

    @field_validator("smaps", mode="before")
    @classmethod
    def _paths_as_text(cls, refs: Any) -> Any:
        return tuple(os.fspath(r) for r in refs) if isinstance(refs, list | tuple) else refs

    @field_validator("size")
    @classmethod
    def _image_sides(cls, size: tuple[int, int] | None) -> tuple[int, int] | None:
        from gazefusion.limits import check_image_side

        for side in size or ():
            check_image_side(side, "--size")
        return size

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        return resolve_metrics(names)


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
    options: BenchOptions | None = None,
    *,
    generator: Generator | None = None,
    progress: Progress = NO_PROGRESS,
    log: Callable[[str], None] = print,
) -> BenchRun:
    """Run (or resume) a benchmark with ``options`` (default :class:`BenchOptions()`) into ``out_dir``.

    ``generator`` replaces the model under test (``options.model``, ``steps`` and ``dtype`` are
    then unused); ``progress`` gets the main process's ``bench`` task (work items, see
    :func:`~gazefusion.bench.runner.run_shard`); ``log`` gets one-line messages (main process
    only); ``options.overwrite`` replaces the results of another config in ``out_dir`` (otherwise
    such a run is refused, see
    :func:`~gazefusion.bench.runner.prepare_output`).
    """
    from accelerate import PartialState

    from gazefusion.pipeline.provenance import array_sha256
    from gazefusion.utils.paths import check_output_dir

    options = options or BenchOptions()
    # the options were checked when made; the folder and the device next, before any model loads
    check_output_dir(out_dir, "--out")
    if options.device is not None:
        from gazefusion.devices import torch_device

        torch_device(options.device)
    prompt_list = load_prompts(options.prompts)
    smap_set = load_smap_set(options.smaps, options.size)
    if "emd" in options.metrics:
        from metrics.emd import check_emd_size

        try:
            check_emd_size(smap_set[0].smap.shape)
        except ValueError as exc:
            raise UserInputError(f"--metrics: {exc}; drop emd or pass a larger --size") from None
    import torch

    # cpu=True lets a CPU-only launch (torchrun / accelerate with WORLD_SIZE > 1) shard over gloo
    state = PartialState(cpu=options.device == "cpu" or not torch.cuda.is_available())
    run_device = options.device or str(state.device)
    scorer_models = resolve_scorers(options.scorers, device=run_device)
    main = state.is_main_process
    if generator is None:
        generator = PipelineGenerator.load(
            options.model,
            steps=options.steps,
            guidance_scale=options.guidance_scale,
            device=run_device,
            dtype=options.dtype,
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
        **options.settings(),
        prompts=tuple(prompt_list),
        smap_ids=tuple(s.smap_id for s in smap_set),
        smap_sha256=tuple(array_sha256(s.smap) for s in smap_set),
        size=(smap_set[0].smap.shape[1], smap_set[0].smap.shape[0]),
        model=generator.description,
        scorers=tuple(scorer_models),
    )
    out = Path(out_dir)
    if main:
        prepare_output(out, config, [s.smap for s in smap_set], overwrite=options.overwrite)
    state.wait_for_everyone()
    summary = run_shard(
        config,
        out,
        generator,
        scorer_models,
        [s.smap for s in smap_set],
        limit=options.limit,
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
