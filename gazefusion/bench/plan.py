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

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from gazefusion.bench.prompts import Prompt
from gazefusion.bench.targets import DEFAULT_N_FIXATIONS, DEFAULT_N_OTHER, DEFAULT_TARGET_SEED
from gazefusion.errors import UserInputError

#: The metrics of the issue's default set (names of :data:`metrics.METRICS`).
DEFAULT_METRICS = ("cc", "kld", "nss", "sim", "auc_judd", "auc_shuffled")
BASELINE = "baseline"
GAZEFUSION = "gazefusion"
ALIGNED = "aligned"
SHUFFLED = "shuffled"


@dataclass(frozen=True)
class BenchConfig:
    """Everything that decides a benchmark's numbers (stored as ``bench.json`` in the output folder).

    A resumed run must have the same config; ``limit`` and the device are not part of it.
    ``control_scales`` are the ControlNet strengths of the GazeFusion condition (the first is the
    main one, compared with the baseline); ``steps``/``guidance_scale`` as the pipeline's;
    ``n_fixations``/``n_other``/``target_seed``: target protocol of :mod:`gazefusion.bench.targets`;
    ``shuffle_seed`` seeds the derangement of the shuffled-target control.
    """

    prompts: tuple[Prompt, ...]
    smap_ids: tuple[str, ...]
    smap_sha256: tuple[str, ...]
    size: tuple[int, int]
    seeds: tuple[int, ...]
    model: str
    scorers: tuple[str, ...]
    metrics: tuple[str, ...] = DEFAULT_METRICS
    control_scales: tuple[float, ...] = (1.0,)
    steps: int = 50
    guidance_scale: float = 9.0
    baseline: bool = True
    shuffled: bool = True
    n_fixations: int = DEFAULT_N_FIXATIONS
    n_other: int = DEFAULT_N_OTHER
    target_seed: int = DEFAULT_TARGET_SEED
    shuffle_seed: int = 0

    def __post_init__(self) -> None:
        if not self.prompts:
            raise UserInputError("--prompts: the prompt set is empty")
        if not self.smap_ids:
            raise UserInputError("--smaps: the smap set is empty")
        if not self.seeds:
            raise UserInputError("--seeds: expected at least one seed, found none")
        if not self.scorers:
            raise UserInputError(
                "--scorers: expected at least one saliency model, found none (none usable on this machine?)"
            )
        if not self.metrics:
            raise UserInputError("--metrics: expected at least one metric, found none")
        if not self.control_scales or any(s <= 0 for s in self.control_scales):
            raise UserInputError(
                f"--control-scales: expected positive strengths, found {list(self.control_scales)}"
            )
        if self.shuffled and len(self.smap_ids) < 2:
            raise UserInputError(
                f"--smaps: the shuffled-target control needs at least 2 smaps, found "
                f"{len(self.smap_ids)} (add smaps or pass --no-shuffled)"
            )
        if self.steps < 1:
            raise UserInputError(f"--steps: expected >= 1, found {self.steps}")
        if len(set(self.seeds)) != len(self.seeds):
            raise UserInputError(f"--seeds: expected distinct seeds, found {list(self.seeds)}")

    @property
    def main_control_scale(self) -> float:
        """The GazeFusion strength compared with the baseline (the first of ``control_scales``)."""
        return self.control_scales[0]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``from_json`` reads it back)."""
        data = asdict(self)
        data["prompts"] = [[p.prompt_id, p.text] for p in self.prompts]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenchConfig:
        """Inverse of :meth:`to_json`."""
        data = dict(data)
        data["prompts"] = tuple(Prompt(pid, text) for pid, text in data["prompts"])
        for key in ("smap_ids", "smap_sha256", "size", "seeds", "scorers", "metrics", "control_scales"):
            data[key] = tuple(data[key])
        return cls(**data)

    def differences(self, other: BenchConfig) -> list[str]:
        """Names of the fields that differ from ``other``."""
        mine, theirs = json.loads(json.dumps(self.to_json())), json.loads(json.dumps(other.to_json()))
        return [k for k in mine if mine[k] != theirs.get(k)]


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
