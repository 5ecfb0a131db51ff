"""GazeFusionPipeline on tiny random components: hint, determinism, defaults, errors."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from gazefusion.errors import UserInputError
from gazefusion.pipeline import GazeFusionPipeline, SmapResizedWarning

STEPS = 2
SIZE = 32


def blob(cx: float, cy: float, size: int = SIZE, peak: float = 178 / 255) -> np.ndarray:
    """A Gaussian blob smap (float32, peak below 1 like the original's smap1)."""
    yy, xx = np.mgrid[0:size, 0:size]
    return (peak * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (size / 6) ** 2))).astype(np.float32)


def run(pipe, smap, **kw):
    kw.setdefault("steps", STEPS)
    kw.setdefault("num_samples", 1)
    return pipe("a sailboat on the sea", smap, **kw)


def test_loaded_smap_file_reaches_controlnet_unchanged(pipe, tmp_path):
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 179, size=(SIZE, SIZE), dtype=np.uint8)  # peaks at 178, like smap1
    path = tmp_path / "map.png"
    Image.fromarray(grey, mode="L").save(path)
    expected = torch.from_numpy(grey.astype(np.float32) / np.float32(255.0))  # the original: file / 255

    seen = []

    def hook(module, args, kwargs):
        seen.append(kwargs["controlnet_cond"].detach().clone())

    handle = pipe.sd.controlnet.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        run(pipe, str(path))
    finally:
        handle.remove()
    assert len(seen) == STEPS
    cond = seen[0]
    assert cond.shape == (2, 3, SIZE, SIZE)  # unconditional + conditional halves both keep the map
    assert cond.dtype == torch.float32
    for b in range(2):
        for c in range(3):
            assert torch.equal(cond[b, c], expected)


def test_same_seed_identical_different_seed_differs(pipe):
    smap = blob(10, 12)
    a = run(pipe, smap, seed=7).images[0]
    b = run(pipe, smap, seed=7).images[0]
    c = run(pipe, smap, seed=8).images[0]
    assert a.dtype == np.uint8 and a.shape == (SIZE, SIZE, 3)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 1


def test_different_smaps_give_different_images(pipe):
    a = run(pipe, blob(6, 6)).images[0]
    b = run(pipe, blob(26, 26)).images[0]
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 0.1


def test_batch_equals_per_sample_runs(pipe):
    smaps = [blob(8, 8), blob(24, 20)]
    prompts = ["a red apple", "a sailboat on the sea"]
    batched = pipe(prompts, smaps, seed=[3, 11], steps=STEPS, batch_size=4)
    assert batched.prompts == [prompts[0], prompts[0], prompts[1], prompts[1]]
    assert batched.seeds == [3, 11, 3, 11]
    singles = [
        pipe(p, s, seed=[sd], steps=STEPS).images[0]
        for p, s in zip(prompts, smaps, strict=True)
        for sd in (3, 11)
    ]
    for got, want in zip(batched.images, singles, strict=True):
        assert np.abs(got.astype(int) - want.astype(int)).max() <= 1


def test_int_seed_gives_consecutive_seeds(pipe):
    out = pipe("a boat", blob(16, 16), seed=40, num_samples=3, steps=1)
    assert out.seeds == [40, 41, 42]
    alone = pipe("a boat", blob(16, 16), seed=[41], steps=1)
    np.testing.assert_array_equal(out.images[1], alone.images[0])


def test_control_scale_zero_equals_plain_stable_diffusion(pipe, tiny_components):
    from diffusers import StableDiffusionPipeline

    sd = StableDiffusionPipeline(
        vae=tiny_components["vae"],
        text_encoder=tiny_components["text_encoder"],
        tokenizer=tiny_components["tokenizer"],
        unet=tiny_components["unet"],
        scheduler=pipe.sd.scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    sd.set_progress_bar_config(disable=True)
    ours = run(pipe, blob(5, 20), seed=9, control_scale=0.0).images[0]
    plain = sd(
        "a sailboat on the sea",
        height=SIZE,
        width=SIZE,
        num_inference_steps=STEPS,
        guidance_scale=9.0,
        generator=[torch.Generator("cpu").manual_seed(9)],
        output_type="np",
    ).images[0]
    np.testing.assert_array_equal(ours, (plain * 255).round().astype(np.uint8))
    controlled = run(pipe, blob(5, 20), seed=9).images[0]
    assert np.abs(ours.astype(int) - controlled.astype(int)).mean() > 0.1  # the control matters at 1.0


def test_scheduler_is_the_originals_ddim(pipe):
    from diffusers import DDIMScheduler

    sched = pipe.sd.scheduler
    assert isinstance(sched, DDIMScheduler)
    sched.set_timesteps(50)
    assert sched.timesteps.tolist() == list(range(981, 0, -20))  # 981, 961, ..., 1
    assert sched.config.prediction_type == "epsilon"


def test_call_defaults_are_the_originals(pipe):
    calls = []

    def fake_sd(**kwargs):
        calls.append(kwargs)
        n = len(kwargs["prompt"])
        return SimpleNamespace(images=np.zeros((n, kwargs["height"], kwargs["width"], 3), np.float32))

    real = pipe.sd
    pipe.sd = type(
        "SpySD",
        (),
        {
            "__call__": lambda self, **kw: fake_sd(**kw),
            "vae_scale_factor": 8,
            "scheduler": real.scheduler,
            "unet": real.unet,
            "_execution_device": torch.device("cpu"),
        },
    )()
    out = pipe(smap=np.zeros((64, 48), np.float32))
    assert out.prompts == ["a sailboat on the sea"] * 2
    assert out.seeds == [123, 124]
    assert out.images[0].shape == (64, 48, 3)  # output size = smap size
    kw = calls[0]
    assert kw["num_inference_steps"] == 50
    assert kw["guidance_scale"] == 9.0
    assert kw["controlnet_conditioning_scale"] == 1.0
    assert kw["eta"] == 0.0
    assert kw["guess_mode"] is False
    assert kw["negative_prompt"] is None
    assert [g.initial_seed() for g in kw["generator"]] == [123]
    assert [g.initial_seed() for g in calls[1]["generator"]] == [124]
    assert out.params["steps"] == 50 and out.params["guidance_scale"] == 9.0


def test_smap_not_multiple_of_8_is_resized_with_notice(pipe):
    m = pipe.size_multiple  # 8 for SD2.1-base
    with pytest.warns(SmapResizedWarning, match=f"multiples of {m}"):
        out = run(pipe, np.full((4 * m + m // 2, 4 * m - 1), 0.5, np.float32))
    assert out.images[0].shape == (5 * m, 4 * m, 3)
    assert out.smaps[0].shape == (5 * m, 4 * m)
    np.testing.assert_allclose(out.smaps[0], 0.5, atol=1e-6)


def test_requested_size_resizes_smap_with_notice(pipe):
    with pytest.warns(SmapResizedWarning, match="requested size"):
        out = run(pipe, blob(16, 16), height=16, width=24)
    assert out.images[0].shape == (16, 24, 3)


def test_matching_smap_is_not_resized(pipe):
    smap = blob(10, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SmapResizedWarning)
        out = run(pipe, smap, height=SIZE, width=SIZE)
    np.testing.assert_array_equal(out.smaps[0], smap)


@pytest.mark.parametrize(
    ("prompt", "smap", "match"),
    [
        pytest.param("a boat", np.full((32, 32), np.nan, np.float32), "NaN", id="nan-smap"),
        pytest.param([], np.zeros((32, 32), np.float32), "empty", id="empty-prompts"),
        pytest.param("a boat", [], "empty", id="empty-smaps"),
        pytest.param(["a", "b"], [np.zeros((32, 32), np.float32)] * 3, "equal length", id="length-mismatch"),
        pytest.param("a boat", "/nonexistent/map.png", "map.png", id="missing-file"),
        pytest.param("a boat", np.full((32, 32), 1.5, np.float32), r"\[0, 1\]", id="out-of-range"),
    ],
)
def test_bad_inputs_raise_user_input_error(pipe, prompt, smap, match):
    with pytest.raises(UserInputError, match=match):
        pipe(prompt, smap, steps=1)


def test_bad_numbers_raise_user_input_error(pipe):
    with pytest.raises(UserInputError, match="steps"):
        run(pipe, blob(4, 4), steps=0)
    with pytest.raises(UserInputError, match="num_samples"):
        run(pipe, blob(4, 4), num_samples=0)
    with pytest.raises(UserInputError, match="fp16"):
        GazeFusionPipeline.from_components({}, device="cpu", dtype="fp16")


def test_blend_is_the_jet_overlay(pipe):
    from gazefusion.smaps import jet_overlay

    out = run(pipe, blob(20, 8), blend=True)
    assert out.blends is not None
    np.testing.assert_array_equal(out.blends[0], jet_overlay(out.images[0], out.smaps[0], alpha=0.5))


def test_memory_savings_keep_results(tiny_components, fresh_tiny_components):
    reference = run(GazeFusionPipeline.from_components(tiny_components, device="cpu"), blob(9, 9)).images[0]
    pipe = GazeFusionPipeline.from_components(fresh_tiny_components, device="cpu")
    pipe.enable_memory_savings(attention_slicing=True, vae_slicing=True)
    sliced = run(pipe, blob(9, 9)).images[0]
    assert np.abs(sliced.astype(int) - reference.astype(int)).max() <= 1


def test_bf16_runs_and_fp32_is_the_cpu_default(tiny_components, fresh_tiny_components):
    assert GazeFusionPipeline.from_components(tiny_components, device="cpu").dtype == torch.float32
    pipe = GazeFusionPipeline.from_components(fresh_tiny_components, device="cpu", dtype="bf16")
    assert pipe.dtype == torch.bfloat16 and pipe.sd.controlnet.dtype == torch.bfloat16
    out = run(pipe, blob(16, 16), steps=1)
    assert out.images[0].dtype == np.uint8 and out.params["dtype"] == "bfloat16"
