"""Statistics of the simulated observer, against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import gaussian_filter

from gazefusion.geometry import DisplayGeometry
from study.observer import SceneWalkParams, SimulatedObserver
from study.trackers import get_tracker

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
    obs = SimulatedObserver.planted(
        smap,
        GEOM,
        centre_bias_weight=0.0,
        accuracy_offset_deg=0.0,
        noise_deg=0.0,
        seed=3,
        scanpath=SceneWalkParams.independent(),
    )
    fix = obs.fixations(300.0)
    dens = _fixation_density(fix, smap.shape, 4)
    cc = np.corrcoef(dens.ravel(), smap.ravel())[0, 1]  # Pearson CC, the MIT "CC" metric
    assert cc > 0.9
    # a map the observer did not view correlates poorly
    assert np.corrcoef(dens.ravel(), _blob(cx=130, cy=20).ravel())[0, 1] < 0.2


def test_centre_bias_only_observer_is_centred():
    smap = _blob(cx=150, cy=10)  # ignored with weight 1
    obs = SimulatedObserver.planted(
        smap,
        GEOM,
        centre_bias_weight=1.0,
        accuracy_offset_deg=0.0,
        seed=1,
        scanpath=SceneWalkParams.independent(),
    )
    fix = obs.fixations(200.0)
    assert fix["x_img"].mean() == pytest.approx(80, abs=4)
    assert fix["y_img"].mean() == pytest.approx(60, abs=3)
    assert fix["x_img"].std() == pytest.approx(0.25 * 160, rel=0.15)  # the documented centre-bias SD


def test_fixation_durations_and_saccade_main_sequence():
    obs = SimulatedObserver.planted(np.ones((100, 100)), GEOM, centre_bias_weight=0.0, seed=2)
    ev = obs.events(300.0)
    fix = ev[ev["name"] == "fixation"]["duration_s"].iloc[:-1]
    assert fix.mean() == pytest.approx(0.3, rel=0.05) and fix.std() == pytest.approx(0.15, rel=0.15)
    sac = ev[ev["name"] == "saccade"].iloc[:-1]
    # Carpenter's main sequence: D = 2.2 ms/deg * A + 21 ms; min-jerk peak velocity 1.875 A / D
    np.testing.assert_allclose(sac["duration_s"], (2.2 * sac["amplitude_deg"] + 21) / 1000, rtol=1e-9)
    # peak velocity measured from the samples of the largest saccade
    big = sac.loc[sac["amplitude_deg"].idxmax()]
    s = SimulatedObserver.planted(
        np.ones((100, 100)),
        GEOM,
        centre_bias_weight=0.0,
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
    obs = SimulatedObserver.planted(np.ones((10, 10)), GEOM, sampling_rate_hz=rate, seed=0)
    s = obs.samples(duration)
    assert len(s) == round(duration * rate)
    np.testing.assert_allclose(np.diff(s["time_s"]), 1 / rate, rtol=1e-9)


def test_blinks_make_invalid_samples():
    obs = SimulatedObserver.planted(np.ones((10, 10)), GEOM, blink_rate_hz=0.5, seed=4)
    s = obs.samples(120.0)
    blinks = obs.events(120.0).query("name == 'blink'")
    invalid = ~s["valid"]
    # invalid time equals the summed blink durations (up to one sample per blink)
    assert invalid.sum() / 1000 == pytest.approx(blinks["duration_s"].sum(), abs=len(blinks) / 1000)
    assert len(blinks) == pytest.approx(60, rel=0.35)  # Poisson, 0.5 Hz x 120 s
    assert s.loc[invalid, "x_px"].isna().all() and (s.loc[invalid, "pupil"] == 0).all()
    assert (s.loc[~invalid, "pupil"] > 2).all()
    assert (
        SimulatedObserver.planted(np.ones((10, 10)), GEOM, blink_rate_hz=0, seed=4)
        .samples(20.0)["valid"]
        .all()
    )


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
    a = SimulatedObserver.planted(_blob(), GEOM, seed=9)
    b = SimulatedObserver.planted(_blob(), GEOM, seed=9)
    assert a.samples(2.0).equals(b.samples(2.0))
    # piecewise evaluation gives the same path as one call
    c = SimulatedObserver.planted(_blob(), GEOM, seed=9)
    t = np.arange(3000) / 1000
    x1, _, _ = c.gaze_at(t[:1000])
    x2, _, _ = c.gaze_at(t[1000:])
    x, _, _ = SimulatedObserver.planted(_blob(), GEOM, seed=9).gaze_at(t)
    np.testing.assert_array_equal(np.concatenate([x1, x2]), x)
    fix = a.fixations(2.0)
    assert (fix["onset_s"].diff().dropna() > 0).all() and fix["onset_s"].iloc[0] == 0


def test_bad_parameters():
    from gazefusion.errors import UserInputError

    with pytest.raises(UserInputError, match="smap"):
        SimulatedObserver.planted(np.zeros((5, 5)), GEOM)
    with pytest.raises(UserInputError, match="centre_bias_weight"):
        SimulatedObserver.planted(np.ones((5, 5)), GEOM, centre_bias_weight=2)
    with pytest.raises(UserInputError, match="centre_bias_weight must be in"):  # the US spelling too
        SimulatedObserver.planted(np.ones((5, 5)), GEOM, center_bias_weight=2)
    with pytest.raises(UserInputError, match="same setting"):  # a study config's tracker settings
        get_tracker("simulated", observer_mode="planted", center_bias_weight=0.1, centre_bias_weight=0.1)
    with pytest.raises(TypeError, match="centre_bias_wieght"):
        SimulatedObserver.planted(np.ones((5, 5)), GEOM, centre_bias_wieght=0.1)
    with pytest.raises(UserInputError, match="sampling_rate_hz"):
        SimulatedObserver.planted(np.ones((5, 5)), GEOM, sampling_rate_hz=5000)
    with pytest.raises(UserInputError, match="mode"):
        SimulatedObserver(np.ones((5, 5)), GEOM, mode="target")
    with pytest.raises(UserInputError, match="image"):
        SimulatedObserver.from_image(np.ones((5, 5)), GEOM)
    with pytest.raises(UserInputError, match="zeta"):
        SceneWalkParams(zeta=2.0)


# -- scan-path statistics (SceneWalk defaults) against textbook ranges of scene viewing --------------
LAB = DisplayGeometry(width_px=1920, height_px=1080, width_cm=53.1, distance_cm=60.0)  # ~37.9 px/deg
LAB_RECT = (704.0, 284.0, 512.0, 512.0)  # a 13.5 deg square stimulus


def _scan_paths(n: int, scanpath: SceneWalkParams | None = None, viewing_s: float = 5.0):
    """(fixation positions in deg, fixation durations) of ``n`` planted observers on blob maps."""
    from analysis.power import random_blob_smaps

    maps = random_blob_smaps(10, 64, np.random.default_rng(0))
    paths, durations = [], []
    for s in range(n):
        obs = SimulatedObserver.planted(
            maps[s % 10],
            LAB,
            stimulus_rect=LAB_RECT,
            seed=s,
            scanpath=scanpath,
            accuracy_offset_deg=0.0,
            blink_rate_hz=0.0,
        )
        seg = obs.segments(viewing_s)
        fix = seg[(seg[:, 0] == 0) & (seg[:, 1] + seg[:, 2] < viewing_s)]  # complete fixations
        paths.append(fix[:, 5:7] / LAB.px_per_deg)
        durations.append(fix[:, 2])
    return paths, np.concatenate(durations)


def _return_rate(paths, radius_deg: float = 1.0) -> tuple[float, int]:
    """Share of fixations landing within ``radius_deg`` of any earlier fixation of the same path."""
    hits = [np.hypot(*(p[:k] - p[k]).T).min() < radius_deg for p in paths for k in range(1, len(p))]
    return float(np.mean(hits)), len(hits)


def test_scan_path_statistics_are_in_textbook_ranges():
    paths, durations = _scan_paths(80)
    # mean fixation duration in scene viewing: 260-330 ms (Rayner 2009, QJEP 62:1457; Henderson 2003)
    assert 0.26 <= durations.mean() <= 0.33 and durations.min() >= 0.05
    amp = np.concatenate([np.hypot(*np.diff(p, axis=0).T) for p in paths])
    # scene-viewing saccades: mean ~4-5 deg, positively skewed, few beyond 10 deg (Tatler, Baddeley &
    # Vincent 2006; Henderson & Hollingworth 1998) — on a 13.5 deg image
    assert 3.0 <= amp.mean() <= 6.5 and 2.0 <= np.median(amp) <= amp.mean()
    assert np.mean(amp > 10) < 0.1 and np.mean(amp < 1) < 0.05
    assert 12 <= np.mean([len(p) for p in paths]) <= 20  # ~3 fixations a second


def test_inhibition_of_return_lowers_the_return_rate():
    with_ior, n1 = _return_rate(_scan_paths(300)[0])
    without, n2 = _return_rate(_scan_paths(300, SceneWalkParams(inhibition_strength=0.0))[0])
    pooled = (with_ior * n1 + without * n2) / (n1 + n2)
    z = (with_ior - without) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    assert z < -2.5, (with_ior, without)


def test_each_participant_is_a_seeded_variant():
    a = SimulatedObserver.planted(_blob(), GEOM, seed=1, traits_seed=7)
    b = SimulatedObserver.planted(_blob(), GEOM, seed=2, traits_seed=7)
    c = SimulatedObserver.planted(_blob(), GEOM, seed=1, traits_seed=8)
    pop = SimulatedObserver.planted(_blob(), GEOM, seed=1)
    assert a.fixation_mean_s == b.fixation_mean_s and a.scanpath == b.scanpath
    assert a.fixation_mean_s != c.fixation_mean_s and a.scanpath != c.scanpath
    assert pop.fixation_mean_s == 0.3 and pop.scanpath == SceneWalkParams()
    means = [SimulatedObserver.planted(_blob(), GEOM, traits_seed=k).fixation_mean_s for k in range(400)]
    assert np.exp(np.mean(np.log(means))) == pytest.approx(0.3, rel=0.03)  # log-normal around 0.3 s
    assert np.std(np.log(means)) == pytest.approx(0.15, rel=0.15)


# -- image mode: the observer looks at the pixels -------------------------------------------------
def _disc_image(cx=120, cy=40, r=10, h=120, w=160):
    img = np.full((h, w, 3), 110, np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    img[(xx - cx) ** 2 + (yy - cy) ** 2 <= r * r] = (255, 40, 40)
    return img


def test_image_mode_looks_at_what_is_shown():
    img = _disc_image()
    rect = (0.0, 0.0, 320.0, 240.0)  # shown at twice its size
    obs = SimulatedObserver.from_image(img, GEOM, stimulus_rect=rect, saliency_model="itti-koch", seed=0)
    assert obs.mode == "image" and obs.saliency_model == "itti-koch"
    assert obs.priority.shape == (240, 320) and obs.image_size == (160, 120)
    fix = obs.fixations(120.0).iloc[1:]
    # the same image mirrored: gaze moves with the disc (image pixels; disc + surround ~6.5% of it)
    obs2 = SimulatedObserver.from_image(img[:, ::-1].copy(), GEOM, stimulus_rect=rect, seed=0)
    fix2 = obs2.fixations(120.0).iloc[1:]

    def near(f, x):
        return float((np.hypot(f["x_img"] - x, f["y_img"] - 40) < 20).mean())

    assert near(fix, 120) > 0.2 and near(fix2, 40) > 0.2
    assert near(fix, 120) > 3 * near(fix2, 120) and near(fix2, 40) > 3 * near(fix, 40)


def test_default_saliency_model_is_emlnet_only_with_its_weights(monkeypatch):
    from gazefusion.saliency import EMLNet
    from study.observer import default_saliency_model

    monkeypatch.setattr(EMLNet, "is_available", lambda self: False)
    assert default_saliency_model() == "itti-koch"
    monkeypatch.setattr(EMLNet, "is_available", lambda self: True)
    assert default_saliency_model() == "emlnet"
