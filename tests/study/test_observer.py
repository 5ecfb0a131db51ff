"""Statistics of the simulated observer, against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import gaussian_filter

from gazefusion.geometry import DisplayGeometry
from study.observer import SimulatedObserver

GEOM = DisplayGeometry(width_px=640, height_px=480, width_cm=40.0, distance_cm=60.0)  # ~16.8 px/deg


def _blob(h=120, w=160, cx=120.0, cy=40.0, sigma=10.0):
    yy, xx = np.mgrid[0:h, 0:w]
    return np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma**2))


def _fixation_density(fix, shape, sigma):
    counts = np.zeros(shape)
    x = np.clip(fix["x_img"].to_numpy().astype(int), 0, shape[1] - 1)
    y = np.clip(fix["y_img"].to_numpy().astype(int), 0, shape[0] - 1)
    np.add.at(counts, (y, x), 1)
    return gaussian_filter(counts, sigma)


def test_fixation_density_follows_the_map():
    yy, xx = np.mgrid[0:120, 0:160]
    smap = _blob(cx=40, cy=30, sigma=12) + 0.7 * _blob(cx=120, cy=90, sigma=15)
    obs = SimulatedObserver(
        smap, GEOM, center_bias_weight=0.0, accuracy_offset_deg=0.0, noise_deg=0.0, seed=3
    )
    fix = obs.fixations(300.0)
    dens = _fixation_density(fix, smap.shape, 4)
    cc = np.corrcoef(dens.ravel(), smap.ravel())[0, 1]  # Pearson CC, the MIT "CC" metric
    assert cc > 0.9
    # a map the observer did not view correlates poorly
    assert np.corrcoef(dens.ravel(), _blob(cx=130, cy=20).ravel())[0, 1] < 0.2


def test_centre_bias_only_observer_is_centred():
    smap = _blob(cx=150, cy=10)  # ignored with weight 1
    obs = SimulatedObserver(smap, GEOM, center_bias_weight=1.0, accuracy_offset_deg=0.0, seed=1)
    fix = obs.fixations(200.0)
    assert fix["x_img"].mean() == pytest.approx(80, abs=4)
    assert fix["y_img"].mean() == pytest.approx(60, abs=3)
    assert fix["x_img"].std() == pytest.approx(0.25 * 160, rel=0.15)  # the documented centre-bias SD


def test_fixation_durations_and_saccade_main_sequence():
    obs = SimulatedObserver(np.ones((100, 100)), GEOM, center_bias_weight=0.0, seed=2)
    ev = obs.events(300.0)
    fix = ev[ev["name"] == "fixation"]["duration_s"].iloc[:-1]
    assert fix.mean() == pytest.approx(0.25, rel=0.05) and fix.std() == pytest.approx(0.125, rel=0.15)
    sac = ev[ev["name"] == "saccade"].iloc[:-1]
    # Carpenter's main sequence: D = 2.2 ms/deg * A + 21 ms; min-jerk peak velocity 1.875 A / D
    np.testing.assert_allclose(sac["duration_s"], (2.2 * sac["amplitude_deg"] + 21) / 1000, rtol=1e-9)
    # peak velocity measured from the samples of the largest saccade
    big = sac.loc[sac["amplitude_deg"].idxmax()]
    s = SimulatedObserver(
        np.ones((100, 100)),
        GEOM,
        center_bias_weight=0.0,
        seed=2,
        accuracy_offset_deg=0,
        noise_deg=0,
        blink_rate_hz=0,
    ).samples(big["onset_s"] + 0.2)
    seg = s[(s["time_s"] >= big["onset_s"]) & (s["time_s"] <= big["onset_s"] + big["duration_s"])]
    v = np.hypot(np.diff(seg["x_deg"]), np.diff(seg["y_deg"])) * 1000
    assert v.max() == pytest.approx(big["peak_velocity_deg_s"], rel=0.05)
    assert 150 < big["peak_velocity_deg_s"] < 600


@settings(max_examples=15, deadline=None)
@given(rate=st.sampled_from([60.0, 250.0, 500.0, 1000.0, 2000.0]), duration=st.floats(0.05, 3.0))
def test_sampling_rate_is_exact(rate, duration):
    obs = SimulatedObserver(np.ones((10, 10)), GEOM, sampling_rate_hz=rate, seed=0)
    s = obs.samples(duration)
    assert len(s) == round(duration * rate)
    np.testing.assert_allclose(np.diff(s["time_s"]), 1 / rate, rtol=1e-9)


def test_blinks_make_invalid_samples():
    obs = SimulatedObserver(np.ones((10, 10)), GEOM, blink_rate_hz=0.5, seed=4)
    s = obs.samples(120.0)
    blinks = obs.events(120.0).query("name == 'blink'")
    invalid = ~s["valid"]
    # invalid time equals the summed blink durations (up to one sample per blink)
    assert invalid.sum() / 1000 == pytest.approx(blinks["duration_s"].sum(), abs=len(blinks) / 1000)
    assert len(blinks) == pytest.approx(60, rel=0.35)  # Poisson, 0.5 Hz x 120 s
    assert s.loc[invalid, "x_px"].isna().all() and (s.loc[invalid, "pupil"] == 0).all()
    assert (s.loc[~invalid, "pupil"] > 2).all()
    assert SimulatedObserver(np.ones((10, 10)), GEOM, blink_rate_hz=0, seed=4).samples(20.0)["valid"].all()


@pytest.mark.parametrize("offset", [0.0, 0.5, 2.0])
def test_accuracy_offset_and_noise(offset):
    target = (200.0, 300.0)
    obs = SimulatedObserver.looking_at(
        target, GEOM, accuracy_offset_deg=offset, noise_deg=0.1, blink_rate_hz=0, seed=5
    )
    s = obs.samples(5.0)
    tx, ty = GEOM.pos_px_to_deg(np.array([target[0]]), np.array([target[1]]))
    err = np.hypot(s["x_deg"].mean() - tx[0], s["y_deg"].mean() - ty[0])
    assert err == pytest.approx(offset, abs=0.03)
    assert np.std(s["x_deg"]) == pytest.approx(0.1, rel=0.15)


def test_deterministic_and_consistent():
    a = SimulatedObserver(_blob(), GEOM, seed=9)
    b = SimulatedObserver(_blob(), GEOM, seed=9)
    assert a.samples(2.0).equals(b.samples(2.0))
    # piecewise evaluation gives the same path as one call
    c = SimulatedObserver(_blob(), GEOM, seed=9)
    t = np.arange(3000) / 1000
    x1, _, _ = c.gaze_at(t[:1000])
    x2, _, _ = c.gaze_at(t[1000:])
    x, _, _ = SimulatedObserver(_blob(), GEOM, seed=9).gaze_at(t)
    np.testing.assert_array_equal(np.concatenate([x1, x2]), x)
    fix = a.fixations(2.0)
    assert (fix["onset_s"].diff().dropna() > 0).all() and fix["onset_s"].iloc[0] == 0


def test_bad_parameters():
    from gazefusion.errors import UserInputError

    with pytest.raises(UserInputError, match="smap"):
        SimulatedObserver(np.zeros((5, 5)), GEOM)
    with pytest.raises(UserInputError, match="center_bias_weight"):
        SimulatedObserver(np.ones((5, 5)), GEOM, center_bias_weight=2)
    with pytest.raises(UserInputError, match="sampling_rate_hz"):
        SimulatedObserver(np.ones((5, 5)), GEOM, sampling_rate_hz=5000)
