"""Fixtures of the study tests: a tiny example study on a small screen, with short trials."""

from __future__ import annotations

import pytest

from gazefusion.geometry import DisplayGeometry

#: 320x240 px, 30 cm wide at 60 cm: about 11 px/deg.
SMALL_DISPLAY = DisplayGeometry(width_px=320, height_px=240, width_cm=30.0, distance_cm=60.0, refresh_hz=60.0)
FAST_TRIALS = {"fixation_s": 0.1, "stimulus_s": 0.3, "iti_s": 0.1}
FAST_CALIBRATION = {"point_s": 0.1, "drift_check_s": 0.1, "drift_check_every": 2}


@pytest.fixture
def make_study(tmp_path):
    """Write a small example study (3 items x 2 conditions + 1 practice); returns its config path."""
    from study.example import write_example_study

    def make(folder_name: str = "study", **kw):
        kw.setdefault("size", (96, 72))
        kw.setdefault("items", ("a", "b", "c"))
        kw.setdefault("display", SMALL_DISPLAY)
        kw["trials"] = {**FAST_TRIALS, **kw.get("trials", {})}
        kw["calibration"] = {**FAST_CALIBRATION, **kw.get("calibration", {})}
        kw["text"] = {"auto_advance_s": 0.05, **kw.get("text", {})}
        return write_example_study(tmp_path / folder_name, **kw)

    return make
