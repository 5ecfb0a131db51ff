"""The synthetic scene world: a pure function of (seed, index), captions that say what is drawn, held-out pairs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazefusion.data.synthetic import (
    BACKGROUNDS,
    COLOURS,
    HELD_OUT_PAIRS,
    SHAPES,
    caption_for,
    held_out_prompts,
    make_scene,
)


@given(seed=st.integers(0, 2**31), index=st.integers(0, 10**6))
@settings(max_examples=15, deadline=None)
def test_a_scene_is_a_pure_function_of_seed_and_index(seed, index):
    a, b = make_scene(seed, index, 32), make_scene(seed, index, 32)
    assert np.array_equal(a.image, b.image) and a.caption == b.caption
    assert a.image.dtype == np.uint8 and a.image.shape == (32, 32, 3)


def test_scenes_differ_and_cover_the_vocabulary():
    scenes = [make_scene(0, k, 64) for k in range(300)]
    assert len({s.image.tobytes() for s in scenes}) == 300
    objects = [o for s in scenes for o in s.objects]
    assert {o.shape for o in objects} == set(SHAPES)
    assert {o.colour for o in objects} == set(COLOURS)
    assert {s.background for s in scenes} == set(BACKGROUNDS)
    assert {len(s.objects) for s in scenes} >= {1, 2, 3, 4}


def test_held_out_pairs_never_appear_in_training_scenes_but_in_held_out_prompts():
    scenes = [make_scene(1, k, 32) for k in range(600)]
    drawn = {(o.colour, o.shape) for s in scenes for o in s.objects}
    assert not drawn & HELD_OUT_PAIRS
    prompts = held_out_prompts(0, 10)
    for colour, shape in HELD_OUT_PAIRS:
        assert any(f"{colour} {shape}" in p for p in prompts)
    assert not any(
        f"{c} {s}" in caption for caption in (x.caption for x in scenes) for c, s in HELD_OUT_PAIRS
    )


def test_caption_names_each_object_and_the_background():
    scene = next(s for s in (make_scene(2, k, 64) for k in range(50)) if len(s.objects) >= 3)
    for obj in scene.objects:
        assert f"{obj.colour} {obj.shape}" in scene.caption
    assert scene.caption.endswith(f"{scene.background_colour} background")
    assert scene.caption.count(" and ") == 1


def test_caption_grammar():
    from gazefusion.data.synthetic import SceneObject

    one = (SceneObject("star", "red", 0, 0, 1),)
    two = (*one, SceneObject("square", "grey", 0, 0, 1))
    assert caption_for(one, "plain", "orange") == "a red star on an orange background"
    assert (
        caption_for(two, "striped", "green") == "a red star and a grey square on a striped green background"
    )


def test_objects_are_drawn_where_the_scene_says():
    # the pixels at an object's centre have its colour (within the shading and grain of the renderer)
    for k in range(40):
        scene = make_scene(3, k, 64)
        top = scene.objects[-1]  # drawn last: nothing covers it
        if top.shape == "ring":
            continue
        pixel = scene.image[int(top.y), int(top.x)].astype(float)
        colour = np.asarray(COLOURS[top.colour], float)
        assert np.abs(pixel - colour).max() < 0.2 * 255 + 12, (k, top, pixel)


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_covers_a_plausible_area(shape):
    from gazefusion.data.synthetic import _shape_mask

    area = _shape_mask(shape, 32, 32, 10, 64, 0.3).sum()
    disc = np.pi * 100
    assert 0.2 * disc < area <= 1.05 * disc or (shape == "square" and area <= 4 * 100)
