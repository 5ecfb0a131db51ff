"""The resumable training loop of the toy's autoencoder and base-model stages.

A stage owns its modules, an AdamW optimiser, a learning-rate schedule and optionally an EMA. Every
``checkpoint_every`` updates (and at the end) the whole state — weights, optimiser, schedule,
EMA, the update counter and the loss history — is written atomically to ``STAGE/checkpoint.pt``;
a killed stage resumes from it. Exact resume: update ``k`` draws its batch and noise from a
generator seeded by ``(seed, k)`` only (:func:`gazefusion.training.step.micro_step_seed`), so a
resumed stage performs the updates of an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gazefusion.progress import NO_PROGRESS, Progress, tracked
from gazefusion.utils.atomic import atomic_path

CHECKPOINT = "checkpoint.pt"


@dataclass
class Stage:
    """What one resumable stage trains (``step(k) -> loss`` does one update's forward/backward)."""

    name: str
    folder: Path
    modules: dict[str, Any]
    optimizer: Any
    lr_scheduler: Any
    total_steps: int
    checkpoint_every: int
    ema: Any = None
    losses: list[float] = field(default_factory=list)
    step: int = 0

    def state(self) -> dict[str, Any]:
        state = {
            "modules": {k: m.state_dict() for k, m in self.modules.items()},
            "optimizer": self.optimizer.state_dict(),
            "lr_scheduler": self.lr_scheduler.state_dict(),
            "step": self.step,
            "losses": list(self.losses),
        }
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        return state

    def save(self) -> Path:
        import torch

        path = self.folder / CHECKPOINT
        with atomic_path(path) as tmp:
            torch.save(self.state(), tmp)
        return path

    def try_resume(self) -> bool:
        """Load ``checkpoint.pt`` if there is one; ``True`` when resumed."""
        import torch

        path = self.folder / CHECKPOINT
        if not path.is_file():
            return False
        state = torch.load(path, map_location="cpu", weights_only=True)
        for key, module in self.modules.items():
            module.load_state_dict(state["modules"][key])
        self.optimizer.load_state_dict(state["optimizer"])
        self.lr_scheduler.load_state_dict(state["lr_scheduler"])
        if self.ema is not None and "ema" in state:
            self.ema.load_state_dict(state["ema"])
        self.step = int(state["step"])
        self.losses = [float(x) for x in state["losses"]]
        return True


def run_stage(
    stage: Stage,
    update: Callable[[int], Any],
    params: list,
    progress: Progress = NO_PROGRESS,
    max_grad_norm: float | None = 1.0,
) -> list[float]:
    """Run ``stage`` from its checkpoint (or the start) to ``total_steps``; returns all losses.

    ``update(k)`` returns the loss tensor of update ``k`` (forward only); this loop does the
    backward pass, clipping, the optimiser and schedule steps, the EMA and the checkpoints.
    ``progress`` gets the task ``stage.name`` in updates of ``total_steps`` (a resumed stage
    starts at its checkpoint's update).
    """
    import torch

    stage.folder.mkdir(parents=True, exist_ok=True)
    stage.try_resume()
    remaining = range(stage.step, stage.total_steps)
    for k in tracked(remaining, progress, stage.name, stage.total_steps, start=stage.step):
        loss = update(k)
        loss.backward()
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
        stage.optimizer.step()
        stage.lr_scheduler.step()
        stage.optimizer.zero_grad(set_to_none=True)
        if stage.ema is not None:
            stage.ema.step(params)
        stage.losses.append(float(loss.detach()))
        stage.step = k + 1
        if stage.step % stage.checkpoint_every == 0 or stage.step == stage.total_steps:
            stage.save()
    return stage.losses
