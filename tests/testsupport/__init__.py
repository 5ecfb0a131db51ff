"""Plain helper functions shared by test files (fixtures live in the conftest files)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np


def max_diff(a: np.ndarray, b: np.ndarray) -> int:
    """Largest absolute difference of two uint8 images, in grey levels."""
    return int(np.abs(a.astype(int) - b.astype(int)).max())


def query_db(db: str | Path, sql: str) -> list[tuple]:
    """Run ``sql`` on the SQLite file ``db`` (read, then close) and return all rows."""
    con = sqlite3.connect(db, timeout=5)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def write_bench_inputs(folder: Path, prompts: list[str]) -> tuple[Path, Path]:
    """A prompt file with ``prompts`` and two 32x32 Gaussian-blob smaps (``a``, ``b``) under ``folder``."""
    from gazefusion.smaps import save_smap

    prompt_file = folder / "prompts.txt"
    prompt_file.write_text("".join(p + "\n" for p in prompts))
    smaps = folder / "smaps"
    yy, xx = np.mgrid[0:32, 0:32]
    for name, (cx, cy) in {"a": (8, 16), "b": (24, 12)}.items():
        save_smap(smaps / f"{name}.png", np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 50.0).astype(np.float32))
    return prompt_file, smaps


def tree_digest(folder: str | Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` by relative path (empty for a missing folder)."""
    import hashlib

    root = Path(folder)
    if not root.exists():
        return {}
    if root.is_file():
        return {".": hashlib.sha256(root.read_bytes()).hexdigest()}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def random_controlnet_pipeline():
    """The default model with its ControlNet re-initialised at random, zero convolutions included
    (normal, std 0.05): the twin of every toy-model effect test, which must then fail."""
    import torch
    from diffusers import ControlNetModel

    from gazefusion.models.loading import load_components
    from gazefusion.pipeline import GazeFusionPipeline

    components, _ = load_components(None)
    torch.manual_seed(0)
    net = ControlNetModel.from_config(components["controlnet"].config)
    with torch.no_grad():
        for p in net.parameters():
            if not p.abs().sum():
                p.normal_(0.0, 0.05)
    components["controlnet"] = net.eval()
    return GazeFusionPipeline.from_components(components, device="cpu", model_description="random ControlNet")


class ProgressLog:
    """A :class:`gazefusion.progress.Progress` that keeps every report ``(task, done, total)``."""

    def __init__(self) -> None:
        self.reports: list[tuple[str, int, int | None]] = []

    def __call__(self, task: str, done: int, total: int | None) -> None:
        self.reports.append((task, done, total))

    @property
    def tasks(self) -> list[str]:
        """The reported tasks, in the order of their first report."""
        return list(dict.fromkeys(task for task, _, _ in self.reports))

    def of(self, task: str) -> list[tuple[int, int | None]]:
        """``(done, total)`` of every report of ``task``, in order."""
        return [(done, total) for name, done, total in self.reports if name == task]


def check_progress(log: ProgressLog) -> None:
    """Every task of ``log`` kept the protocol of :mod:`gazefusion.progress`: one total, ``done``
    never decreasing nor above the total, and the last report ``done == total``."""
    assert log.reports, "nothing was reported"
    for task in log.tasks:
        seen = log.of(task)
        dones = [done for done, _ in seen]
        assert len({total for _, total in seen}) == 1, f"{task}: the total changed: {seen}"
        assert dones == sorted(dones), f"{task}: done decreased: {seen}"
        total = seen[0][1]
        if total is not None:
            assert dones[-1] == total and max(dones) <= total, f"{task}: not done == total at the end: {seen}"


def bench_run_args(
    prompts: Path,
    smaps: Path,
    out: Path,
    *,
    steps: int,
    scorers: str,
    metrics: str,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """``gazefusion bench run`` arguments for a quick bench: seed 0, guidance 1, ``steps`` DDIM steps."""
    return [
        *("bench", "run", "--prompts", str(prompts), "--smaps", str(smaps), "--out", str(out)),
        *("--seeds", "0", "--steps", str(steps), "--guidance", "1"),
        *("--scorers", scorers, "--metrics", metrics, *extra),
    ]
