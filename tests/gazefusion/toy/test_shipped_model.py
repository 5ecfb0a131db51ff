"""The shipped toy GazeFusion (the default model): it shows the method's effect on held-out inputs.

Every effect test here has a twin that runs the same benchmark with the ControlNet's weights
randomised and requires the effect checks to fail there: an effect that a random ControlNet also
"shows" would be an artefact of the benchmark, not of training.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.toy_effects import CONTROL_SCALES, check_thresholds, toy_effects

pytestmark = [pytest.mark.toy_model, pytest.mark.slow]

#: A small held-out bench: 4 held-out prompts x 5 held-out smaps (+ a suppression map) x 1 seed.
SMAPS = ("blob_left", "blob_right", "blob_top_right", "blob_bottom_left", "two_blobs", "suppress_center")
SCORERS = ("spectral-residual", "itti-koch")
STEPS = 20


def _bench(out, generator=None):
    from analysis.commands.demo import HELD_OUT_PROMPTS
    from gazefusion.bench.benchmark import BenchOptions, run_benchmark
    from gazefusion.bench.results import read_results
    from gazefusion.models.loading import default_model_path

    lines = (default_model_path() / HELD_OUT_PROMPTS).read_text().splitlines()
    prompts = out.parent / f"{out.name}_prompts.txt"
    prompts.write_text("\n".join([p for p in lines if p and not p.startswith("#")][:4]) + "\n")
    options = BenchOptions(
        prompts=prompts,
        smaps=SMAPS,
        seeds=(0,),
        scorers=SCORERS,
        control_scales=CONTROL_SCALES,
        steps=STEPS,
        guidance_scale=5.0,
        size=(64, 64),
    )
    run_benchmark(out, options, generator=generator, log=lambda _: None)
    return toy_effects(read_results(out), out)


@pytest.fixture(scope="module")
def shipped_effects(tmp_path_factory):
    return _bench(tmp_path_factory.mktemp("toy_bench") / "bench")


@pytest.fixture(scope="module")
def random_controlnet_effects(tmp_path_factory):
    """The same bench with the ControlNet re-initialised at random (its zero convolutions too)."""
    from testsupport import random_controlnet_pipeline

    from gazefusion.bench.generators import PipelineGenerator

    pipe = random_controlnet_pipeline()
    return _bench(tmp_path_factory.mktemp("toy_random") / "bench", PipelineGenerator(pipe, STEPS, 5.0))


def test_the_default_model_is_the_shipped_toy_with_a_notice():
    from gazefusion.models.loading import DEFAULT_MODEL_NAME, load_components

    components, description = load_components(None)
    assert description["model_id"] == DEFAULT_MODEL_NAME and description["source"] == "diffusers"
    assert "toy GazeFusion" in description["notice"] and "\n" not in description["notice"]
    assert components["unet"].config.sample_size == 16


def test_shipped_model_passes_every_check_on_held_out_inputs(shipped_effects):
    failures = check_thresholds(shipped_effects)
    assert not failures, failures
    assert set(shipped_effects["scorers"]) == set(SCORERS)
    assert set(shipped_effects["suppression"]) == set(SCORERS)


def test_with_a_random_controlnet_the_same_checks_fail(random_controlnet_effects):
    failures = check_thresholds(random_controlnet_effects)
    gaps = [e["gap_cc"]["mean"] for e in random_controlnet_effects["scorers"].values()]
    assert any("aligned-minus-shuffled" in f for f in failures), (failures, gaps)
    assert max(gaps) < 0.2


def test_regenerating_is_deterministic():
    from gazefusion.pipeline import GazeFusionPipeline

    pipe = GazeFusionPipeline.from_pretrained(None)
    a = pipe("a purple star on a green background", "blob_left", seed=[3], steps=6, height=64, width=64)
    b = pipe("a purple star on a green background", "blob_left", seed=[3], steps=6, height=64, width=64)
    assert np.array_equal(a.images[0], b.images[0])


def test_shipped_files_match_the_hashes_in_the_model_card():
    from analysis.toy_card import CARD, file_hashes, read_card_hashes
    from gazefusion.models.loading import default_model_path

    folder = default_model_path()
    listed = read_card_hashes(folder / CARD)
    assert listed, "the model card lists no file hashes"
    assert listed == file_hashes(folder)
    weights = sum(size for name, (size, _) in listed.items() if name.endswith(".safetensors"))
    assert weights <= 25 * 2**20
