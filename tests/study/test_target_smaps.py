"""Target smaps in degrees are drawn as the participant sees them: for the study's display and the
stimulus' size on screen (a blob "5 deg right" lands 5 deg right of the stimulus centre)."""

from __future__ import annotations

import numpy as np
import pytest

STUDY = """
name = "deg"
[display]
width_px = 1920
height_px = 1080
width_cm = 53.1
distance_cm = 60.0
[trials]
{size_line}
[[stimuli]]
image = "img.png"
smap = "blob_5deg_right"
item = "a"
"""


@pytest.mark.parametrize("shown_px", [512, 1024])
def test_a_degree_target_is_placed_by_the_study_display_and_on_screen_size(tmp_path, shown_px):
    from gazefusion.geometry import DisplayGeometry
    from gazefusion.utils.images import write_rgb
    from study.config import StudyConfig
    from study.stimuli import load_target_smap

    write_rgb(tmp_path / "img.png", np.zeros((512, 512, 3), np.uint8))
    size_line = "" if shown_px == 512 else f"stimulus_size_px = [{shown_px}, {shown_px}]"
    (tmp_path / "study.toml").write_text(STUDY.format(size_line=size_line))
    config = StudyConfig.from_file(tmp_path / "study.toml")
    smap = load_target_smap(config, config.stimuli[0], (512, 512))
    # independent of the code: 5 deg at 60 cm on a 53.1 cm / 1920 px screen (at the screen centre,
    # 60 cm x tan(5 deg) of screen), in image pixels of a 512 px image shown at shown_px
    screen_px = 1920 / 53.1 * 60 * np.tan(np.radians(5))
    assert screen_px == pytest.approx(
        5 * DisplayGeometry(width_px=1920, height_px=1080, width_cm=53.1, distance_cm=60.0).px_per_deg,
        rel=0.01,
    )
    expected_x = 255.5 + screen_px * 512 / shown_px
    rows, cols = np.nonzero(smap >= smap.max() - 1e-6)  # the peak's plateau (8-bit levels)
    row, col = rows.mean(), cols.mean()
    assert abs(col - expected_x) <= 2.0 and abs(row - 255.5) <= 1.0
