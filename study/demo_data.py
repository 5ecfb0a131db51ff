"""Demo data made here, for the notebooks' default run and the docs: generated stimuli and a
simulated eye-tracking study.

:func:`make_demo_study` generates one guided image per smap (GazeFusion) and one unguided image
per item (the same prompt and seed at control strength 0, i.e. plain SD), writes a study config,
simulates participants with the study runner's simulated observers and exports the study.
With the default model (the built-in toy GazeFusion, trained here on synthetic scenes) the images
are 64x64 scenes whose salient objects follow the smaps; they say nothing about the real GazeFusion. Point the notebooks at a real study export to get the real figures.
The demo display is 640x480 px, 34 cm wide at 60 cm (19.7 px/deg); images are shown at
384x384 px (19.5 deg), whatever their pixel size.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from gazefusion.utils.atomic import atomic_write_text

STUDY_DEMO_SMAPS = ("smap1", "smap2", "blob_left", "blob_top_right")
#: Prompts of the toy model's world (held-out colour-shape pairs), for the default model.
STUDY_DEMO_PROMPTS = (
    "a purple star on a green background",
    "a yellow ring on a striped grey background",
    "a cyan triangle on a mottled brown background",
    "an orange square on a gradient blue background",
)

DEMO_STUDY = """name = "demo"
[display]
width_px = 640
height_px = 480
width_cm = 34.0
distance_cm = 60.0
[trials]
fixation_s = 0.3
stimulus_s = {stimulus_s}
iti_s = 0.1
stimulus_size_px = [384, 384]
[calibration]
points = 3
point_s = 0.3
drift_check_every = 0
"""


def load_pipeline(model: str | os.PathLike | None = None):
    """The generation pipeline on the CPU/GPU default (None: the default model, the built-in toy GazeFusion)."""
    from gazefusion.pipeline import GazeFusionPipeline

    return GazeFusionPipeline.from_pretrained(model)


def generate_stimuli(
    folder: str | os.PathLike,
    smaps: Sequence[str] = STUDY_DEMO_SMAPS,
    prompts: Sequence[str] = STUDY_DEMO_PROMPTS,
    size: int = 64,
    steps: int = 20,
    seed: int = 0,
    unguided: bool = True,
    pipe=None,
) -> list[dict]:
    """Generate guided (and unguided) images into ``folder``; returns one stimulus entry per image
    (``image``, ``smap`` (empty for unguided), ``item``, ``condition``) for a study config."""
    from gazefusion.smaps import resolve_smap, save_smap
    from gazefusion.utils.images import write_rgb

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pipe = pipe or load_pipeline()
    entries = []
    for k, name in enumerate(smaps):
        prompt = prompts[k % len(prompts)]
        smap, _ = resolve_smap(name, size=(size, size))
        save_smap(folder / f"{name}.png", smap)
        for condition, scale in (("guided", 1.0), ("unguided", 0.0))[: 2 if unguided else 1]:
            image = pipe(prompt, smap, seed=seed + k, num_samples=1, steps=steps, control_scale=scale).images[
                0
            ]
            write_rgb(folder / f"{condition}_{name}.png", image)
            entries.append(
                {
                    "image": f"{condition}_{name}.png",
                    "smap": f"{name}.png" if scale else "",
                    "item": name,
                    "condition": condition,
                    "prompt": prompt,
                }
            )
    return entries


def make_demo_study(
    folder: str | os.PathLike,
    participants: int = 4,
    smaps: Sequence[str] = STUDY_DEMO_SMAPS,
    size: int = 64,
    steps: int = 20,
    stimulus_s: float = 3.0,
    unguided: bool = True,
    pipe=None,
) -> Path:
    """Generate stimuli, write ``study.toml``, simulate ``participants`` and export; returns the
    export folder (``folder/export``)."""
    from study.config import StudyConfig
    from study.export import export_study
    from study.simulate import simulate_participants

    folder = Path(folder)
    entries = generate_stimuli(folder, smaps, size=size, steps=steps, unguided=unguided, pipe=pipe)
    lines = [DEMO_STUDY.format(stimulus_s=stimulus_s)]
    for e in entries:
        lines += [
            "[[stimuli]]",
            f'image = "{e["image"]}"',
            f'smap = "{e["smap"]}"',
            f'item = "{e["item"]}"',
            f'condition = "{e["condition"]}"',
            "",
        ]
    atomic_write_text(folder / "study.toml", "\n".join(lines))
    config = StudyConfig.from_file(folder / "study.toml")
    db = folder / "data" / "demo.sqlite"
    simulate_participants(config, db, [f"sim{i:02d}" for i in range(1, participants + 1)])
    export_study(db, folder / "export")
    return folder / "export"
