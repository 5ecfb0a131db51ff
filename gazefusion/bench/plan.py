"""The benchmark's configuration and its plan: the work items, their order and their shards.

A *work item* is one generated image and everything computed from it:

- ``baseline`` items, one per (prompt, seed): the same base model without guidance (ControlNet
  strength 0, i.e. plain Stable Diffusion with the same components, prompt and seed); the image
  is independent of the smap, so it is generated once and scored against every smap of the set;
- ``gazefusion`` items, one per (prompt, smap, seed, control scale): scored against its own smap
  (target ``aligned``) and, as the shuffled-target control, against the smap that a seeded
  derangement assigns to it (target ``shuffled``).

Items are ordered prompt, seed, then baseline before the smaps and scales, so ``--limit N`` keeps
complete pairs. Process ``rank`` of ``world`` takes the items whose index is ``rank`` modulo ``world``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, field_validator, model_validator

from gazefusion.bench.prompts import Prompt
from gazefusion.bench.targets import DEFAULT_N_FIXATIONS, DEFAULT_N_OTHER, DEFAULT_TARGET_SEED
from gazefusion.config import Config
from gazefusion.errors import UserInputError

#: The metrics of the issue's default set (names of :data:`metrics.METRICS`).
DEFAULT_METRICS = ("cc", "kld", "nss", "sim", "auc_judd", "auc_shuffled")
BASELINE = "baseline"
GAZEFUSION = "gazefusion"
ALIGNED = "aligned"
SHUFFLED = "shuffled"


def _prompt_from_pair(value: Any) -> Any:
    return Prompt(*value) if isinstance(value, list | tuple) else value


#: A prompt in ``bench.json``: the pair ``[prompt_id, text]``.
StoredPrompt = Annotated[
    Prompt,
    BeforeValidator(_prompt_from_pair, json_schema_input_type=tuple[str, str]),
    PlainSerializer(lambda p: [p.prompt_id, p.text], return_type=list[str]),
]


#: The options of ``gazefusion bench run`` whose names are not the fields' own.
_OPTION_NAMES = {"guidance_scale": "--guidance", "smap_ids": "--smaps", "smap_sha256": "--smaps"}


def _at_least_one(what: str) -> AfterValidator:
    """A field check: the tuple holds at least one item (else "expected at least one <what>")."""

    def check(items: tuple) -> tuple:
        if not items:
            raise ValueError(f"at least one {what}")
        return items

    return AfterValidator(check)


class BenchSettings(Config):
    """The settings of a benchmark that the user chooses and that decide its numbers.

    :class:`BenchConfig` (what a run records) and :class:`~gazefusion.bench.benchmark.BenchOptions`
    (what a run is asked for) both have them, under the option names of ``gazefusion bench run``
    (``guidance_scale`` is ``--guidance``). ``control_scales`` are the ControlNet strengths of the
    GazeFusion condition (the first is the main one, compared with the baseline);
    ``steps``/``guidance_scale`` as the pipeline's; ``n_fixations``/``n_other``/``target_seed``:
    target protocol of :mod:`gazefusion.bench.targets`; ``shuffle_seed`` seeds the derangement of
    the shuffled-target control.
    """

    label_style = "option"

    seeds: Annotated[tuple[int, ...], _at_least_one("seed")] = (0,)
    steps: int = Field(50, ge=1)
    guidance_scale: float = 9.0
    control_scales: tuple[float, ...] = (1.0,)
    metrics: Annotated[tuple[str, ...], _at_least_one("metric")] = DEFAULT_METRICS
    baseline: bool = True
    shuffled: bool = True
    n_fixations: int = DEFAULT_N_FIXATIONS
    n_other: int = DEFAULT_N_OTHER
    target_seed: int = DEFAULT_TARGET_SEED
    shuffle_seed: int = 0

    @classmethod
    def field_label(cls, loc: Sequence[str | int]) -> str:
        """``--kebab-case`` as in ``gazefusion bench run``, where a few fields have other option names."""
        if loc and loc[0] in _OPTION_NAMES:
            return _OPTION_NAMES[str(loc[0])] + "".join(f"[{p}]" for p in loc[1:])
        return super().field_label(loc)

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, seeds: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(seeds)) != len(seeds):
            raise ValueError("distinct seeds")
        return seeds

    @field_validator("control_scales")
    @classmethod
    def _positive_scales(cls, scales: tuple[float, ...]) -> tuple[float, ...]:
        if not scales or any(s <= 0 for s in scales):
            raise ValueError("positive strengths")
        return scales

    def settings(self) -> dict[str, Any]:
        """The :class:`BenchSettings` fields of this object, by name (to build a :class:`BenchConfig`)."""
        return {name: getattr(self, name) for name in BenchSettings.model_fields}


class BenchConfig(BenchSettings):
    """Everything that decides a benchmark's numbers (stored as ``bench.json`` in the output folder).

    A resumed run must have the same config; ``limit`` and the device are not part of it. Besides
    the :class:`BenchSettings`: the prompts and smaps as resolved (ids, and the smaps' SHA-256),
    the image ``size`` (width, height), the model under test as described by its generator and the
    scorers' names.
    """

    prompts: Annotated[tuple[StoredPrompt, ...], _at_least_one("prompt")]
    smap_ids: Annotated[tuple[str, ...], _at_least_one("smap")]
    smap_sha256: tuple[str, ...]
    size: tuple[int, int]
    model: str
    scorers: Annotated[tuple[str, ...], _at_least_one("saliency model (none usable on this machine?)")]

    @model_validator(mode="after")
    def _shuffled_needs_two_smaps(self) -> BenchConfig:
        if self.shuffled and len(self.smap_ids) < 2:
            raise UserInputError(
                f"--smaps: the shuffled-target control needs at least 2 smaps, found "
                f"{len(self.smap_ids)} (add smaps or pass --no-shuffled)"
            )
        return self

    @property
    def main_control_scale(self) -> float:
        """The GazeFusion strength compared with the baseline (the first of ``control_scales``)."""
        return self.control_scales[0]


@dataclass(frozen=True)
class WorkItem:
    """One image to generate and score; ``smap_id`` is ``None`` for a baseline item."""

    condition: str
    prompt: Prompt
    seed: int
    smap_id: str | None
    control_scale: float

    @property
    def key(self) -> str:
        """Unique, file-name-safe id of the item (names its image and its result part-file)."""
        if self.condition == BASELINE:
            return f"{self.prompt.prompt_id}__s{self.seed}__baseline"
        return f"{self.prompt.prompt_id}__s{self.seed}__{self.smap_id}__c{self.control_scale:g}"


def build_plan(config: BenchConfig) -> list[WorkItem]:
    """All work items of ``config`` in their canonical order (see the module docstring)."""
    items: list[WorkItem] = []
    for prompt in config.prompts:
        for seed in config.seeds:
            if config.baseline:
                items.append(WorkItem(BASELINE, prompt, seed, None, 0.0))
            for smap_id in config.smap_ids:
                for scale in config.control_scales:
                    items.append(WorkItem(GAZEFUSION, prompt, seed, smap_id, float(scale)))
    return items


def shard(items: Sequence[WorkItem], rank: int, world: int) -> list[WorkItem]:
    """The items of process ``rank`` out of ``world``: every index congruent to ``rank`` modulo ``world``."""
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f"shard: expected 0 <= rank < world, found rank={rank}, world={world}")
    return list(items[rank::world])
