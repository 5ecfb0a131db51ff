"""Stimulus files of a study: image size, on-screen rectangle, target smap, validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gazefusion.errors import UserInputError
from study.config import Stimulus, StudyConfig


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of a stimulus image file, read from its header."""
    from gazefusion.utils.images import image_size as header_size

    if not Path(path).is_file():
        raise UserInputError(f"stimulus image not found: {path}")
    try:
        return header_size(path)
    except UserInputError as exc:
        raise UserInputError(f"stimulus image: {exc}") from None


def stimulus_rect(config: StudyConfig, size: tuple[int, int]) -> tuple[float, float, float, float]:
    """(left, top, width, height) in screen pixels: ``trials.stimulus_size_px`` or the native
    size, centred on the screen."""
    return config.display.centred_rect(config.trials.stimulus_size_px or size, fit="none")


def smap_ref(config: StudyConfig, stim: Stimulus) -> str:
    """The smap reference with a relative file path made absolute (built-in names unchanged)."""
    path = config.resolve(stim.smap)
    return str(path) if path.exists() else stim.smap


def load_target_smap(config: StudyConfig, stim: Stimulus, size: tuple[int, int]) -> np.ndarray:
    """The stimulus' target smap at ``size`` = (width, height): float32 in [0, 1].

    A spec in degrees is rendered for the study's display and the stimulus' on-screen size
    (:func:`stimulus_rect`), so that a blob "5 deg right" is 5 deg right as the participant sees it.
    Without an smap the stimulus gets a uniform map (the simulated observer then follows only
    its centre bias)."""
    if not stim.smap:
        return np.ones((size[1], size[0]), dtype=np.float32)
    from gazefusion.smaps import resolve_smap

    _, _, shown_w, shown_h = stimulus_rect(config, size)
    try:
        smap, _ = resolve_smap(
            smap_ref(config, stim),
            size=size,
            geometry=config.display,
            on_screen_px=(round(shown_w), round(shown_h)),
        )
    except UserInputError as exc:
        raise UserInputError(f"stimulus {stim.id!r}: {exc}") from None
    return smap


def check_stimuli(config: StudyConfig, load_smaps: bool = True) -> list[str]:
    """Check every stimulus: image readable and fits on screen, smap resolvable. Raises
    :class:`UserInputError` on the first error; returns warnings."""
    warnings: list[str] = []
    g = config.display
    for stim in (*config.practice, *config.stimuli):
        size = image_size(config.resolve(stim.image))
        w, h = config.trials.stimulus_size_px or size
        if w > g.width_px or h > g.height_px:
            raise UserInputError(
                f"stimulus {stim.id!r} is {w}x{h} px on screen, larger than the display "
                f"{g.width_px}x{g.height_px} px; set [trials] stimulus_size_px"
            )
        if load_smaps and stim.smap:
            load_target_smap(config, stim, size)
        if not stim.smap and stim not in config.practice:
            warnings.append(f"stimulus {stim.id!r} has no target smap")
    return warnings
