"""A tiny simulated study (3 stimuli, 3 simulated participants, 64x64 images), exported once per worker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

STUDY_TOML = """
name = "tiny"
[display]
width_px = 320
height_px = 240
width_cm = 30.0
distance_cm = 60.0
[trials]
fixation_s = 0.3
stimulus_s = 2.0
iti_s = 0.1
[calibration]
points = 3
point_s = 0.3
drift_check_every = 0
[[stimuli]]
image = "img0.png"
smap = "smap1"
item = "a"
[[stimuli]]
image = "img1.png"
smap = "smap2"
item = "b"
[[stimuli]]
image = "img2.png"
item = "a"
condition = "unguided"
"""


def make_tiny_study(folder: Path, participants: int = 3) -> Path:
    """Write images + config into ``folder``, simulate and export; returns the export folder."""
    from gazefusion.utils.images import write_rgb
    from study.config import StudyConfig
    from study.export import export_study
    from study.simulate import simulate_participants

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        write_rgb(folder / f"img{i}.png", (rng.random((64, 64, 3)) * 255).astype(np.uint8))
    (folder / "study.toml").write_text(STUDY_TOML)
    config = StudyConfig.from_file(folder / "study.toml")
    simulate_participants(
        config, folder / "data" / "tiny.sqlite", [f"p{i:02d}" for i in range(1, participants + 1)]
    )
    export_study(folder / "data" / "tiny.sqlite", folder / "export")
    return folder / "export"


@pytest.fixture(scope="session")
def tiny_study(tmp_path_factory) -> Path:
    return make_tiny_study(tmp_path_factory.mktemp("tiny_study"))
