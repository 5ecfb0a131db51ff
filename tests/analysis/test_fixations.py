"""Study loading and fixations: tracker events, pymovements I-VT, stimulus coordinates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.fixations import detect_fixations, fixations_on_stimuli, study_fixations, tracker_fixations
from analysis.study_data import image_sizes, load_study, target_smaps
from gazefusion.errors import UserInputError


def test_load_study_tables(tiny_study):
    data = load_study(tiny_study)
    assert data.participants == ["p01", "p02", "p03"] and data.stimuli == ["img0", "img1", "img2"]
    assert len(data.trials) == 9 and data.geometry.width_px == 320
    assert data.geometry.px_per_deg == pytest.approx(320 / 30.0 * 2 * 60 * np.tan(np.radians(0.5)))
    sizes = image_sizes(data)
    assert sizes == {"img0": (64, 64), "img1": (64, 64), "img2": (64, 64)}
    targets = target_smaps(data, sizes)
    # img2 has no smap: it takes the smap of its item "a" (img0's smap1)
    np.testing.assert_array_equal(targets["img2"], targets["img0"])
    assert targets["img1"].shape == (64, 64) and not np.array_equal(targets["img1"], targets["img0"])


def test_ivt_finds_the_tracker_fixations(tiny_study):
    data = load_study(tiny_study)
    tracker = fixations_on_stimuli(tracker_fixations(data), data.trials)
    ivt = fixations_on_stimuli(detect_fixations(data, "ivt"), data.trials)
    long = tracker[tracker["duration_s"] >= 0.12]
    assert len(long) > 20
    px_per_deg = data.geometry.px_per_deg
    matched = 0
    for row in long.itertuples():
        cand = ivt[(ivt["participant"] == row.participant) & (ivt["trial"] == row.trial)]
        dist = np.hypot(cand["x_px"] - row.x_px, cand["y_px"] - row.y_px) / px_per_deg
        matched += bool(len(dist)) and dist.min() < 0.25
    assert matched / len(long) >= 0.9
    idt = fixations_on_stimuli(detect_fixations(data, "idt", dispersion_threshold_deg=1.0), data.trials)
    assert 0.5 * len(tracker) <= len(idt) <= 1.5 * len(tracker)


def test_fixations_on_stimuli_rules():
    trials = pd.DataFrame(
        {
            "participant": ["a"],
            "session": ["1"],
            "trial": [0],
            "stimulus_id": ["s"],
            "condition": [""],
            "item": [""],
            "smap": ["smap1"],
            "stim_file": ["s.png"],
            "onset_s": [1.0],
            "duration_s": [2.0],
            "stim_left": [100.0],
            "stim_top": [50.0],
            "stim_width": [200.0],
            "stim_height": [100.0],
        }
    )
    fix = pd.DataFrame(
        {
            "participant": "a",
            "session": "1",
            "trial": 0,
            "onset_s": [0.5, 1.0, 1.5, 2.5, 3.2, 1.6],
            "duration_s": [0.8, 0.3, 0.2, 0.2, 0.2, 0.2],
            "x_px": [200.0, 200.0, 150.0, 299.0, 200.0, 99.0],
            "y_px": [100.0, 100.0, 75.0, 149.0, 100.0, 100.0],
        }
    )
    out = fixations_on_stimuli(fix, trials, image_sizes={"s": (100, 50)})
    # dropped: in progress at onset (0.5), split at onset (1.0), after offset (3.2), left of the image (99 px)
    np.testing.assert_allclose(out[["x_img", "y_img"]].to_numpy(), [[25.0, 12.5], [99.5, 49.5]])
    np.testing.assert_allclose(out["t_rel_s"], [0.5, 1.5])
    kept = fixations_on_stimuli(fix, trials, drop_initial=False)
    assert len(kept) == 4  # the two at onset are kept, in native (on-screen) pixels
    assert kept["x_img"].iloc[0] == pytest.approx(100.0)


def test_errors(tmp_path, tiny_study):
    with pytest.raises(UserInputError, match="DATA"):
        load_study(tmp_path / "missing")
    with pytest.raises(UserInputError, match="DATA: no sessions"):
        load_study(tmp_path)
    with pytest.raises(UserInputError, match="--fixations"):
        study_fixations(load_study(tiny_study), "eyelink")


def test_load_study_from_the_database_equals_the_export(tiny_study):
    from_export = load_study(tiny_study)
    from_db = load_study(tiny_study.parent / "data" / "tiny.sqlite")
    pd.testing.assert_frame_equal(from_db.trials, from_export.trials)
    pd.testing.assert_frame_equal(from_db.events, from_export.events)
    assert from_db.stimulus_dir == tiny_study.parent
