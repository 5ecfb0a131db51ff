"""Painted strokes: JSON parsing (one-line errors) and rasterising in map pixels."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gazefusion.app.strokes import parse_strokes, rasterize_strokes
from gazefusion.errors import UserInputError


def _msg(*strokes) -> str:
    return json.dumps([{"layer": la, "size": sz, "points": pts} for la, sz, pts in strokes])


def test_empty_message_is_no_strokes():
    assert parse_strokes("") == [] and parse_strokes(None) == [] and parse_strokes("[]") == []
    assert rasterize_strokes([], 16, 8) == (None, None)


@given(
    x=st.floats(5, 27),
    y=st.floats(5, 27),
    size=st.floats(1.5, 9),
    layer=st.sampled_from(["attention", "suppress"]),
)
def test_a_dot_covers_the_pixel_centres_within_half_the_brush(x, y, size, layer):
    att, sup = rasterize_strokes(parse_strokes(_msg((layer, size, [[x, y]]))), 32, 32)
    painted, other = (att, sup) if layer == "attention" else (sup, att)
    assert other is None
    yy, xx = np.mgrid[0:32, 0:32]
    expected = (xx - x) ** 2 + (yy - y) ** 2 <= (size / 2) ** 2
    np.testing.assert_array_equal(painted.astype(bool), expected)
    assert painted.dtype == np.float32 and set(np.unique(painted)) <= {0.0, 1.0}


def test_a_segment_covers_a_capsule_and_erase_clears_both_layers():
    strokes = parse_strokes(_msg(("attention", 4, [[4, 8], [20, 8]]), ("suppress", 2, [[10, 2], [10, 14]])))
    att, sup = rasterize_strokes(strokes, 24, 16)
    # capsule of radius 2 around y = 8 from x = 4 to 20: rows 6..10 in the straight part
    assert att[6:11, 4:21].all() and not att[5, 10] and not att[11, 10]
    assert att.sum() == pytest.approx(17 * 5 + 2 * 6, abs=4)  # rectangle plus two half discs
    assert sup[2:15, 9:12].all() and sup[:, :9].sum() == 0
    erased = rasterize_strokes(strokes + parse_strokes(_msg(("erase", 30, [[10, 8]]))), 24, 16)
    assert erased == (None, None)
    # a later stroke repaints over an erase
    again = rasterize_strokes(
        strokes + parse_strokes(_msg(("erase", 30, [[10, 8]]), ("attention", 1, [[3, 3]]))), 24, 16
    )
    assert again[0].sum() == 1 and again[1] is None


def test_strokes_off_the_map_are_clipped():
    att, _ = rasterize_strokes(parse_strokes(_msg(("attention", 6, [[-10, -10], [1, 1]]))), 8, 8)
    assert att[0, 0] == 1 and att.shape == (8, 8)
    assert rasterize_strokes(parse_strokes(_msg(("attention", 2, [[50, 50]]))), 8, 8) == (None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "expected JSON"),
        ('{"layer": "attention"}', "expected a list of strokes"),
        ('["x"]', "stroke 1: expected an object"),
        (_msg(("paint", 3, [[1, 1]])), "layer expected one of attention, suppress, erase"),
        (_msg(("attention", 0, [[1, 1]])), "brush size expected a number > 0"),
        (_msg(("attention", math.inf, [[1, 1]])), "brush size expected"),
        (_msg(("attention", 3, [])), "non-empty list of [x, y] points"),
        (_msg(("attention", 3, [[1, "a"]])), "a point must be [x, y]"),
        (_msg(("attention", 3, [[1, 1]]), ("erase", True, [[1, 1]])), "stroke 2: brush size"),
    ],
)
def test_bad_messages_are_one_line_errors(text, expected):
    with pytest.raises(UserInputError) as info:
        parse_strokes(text)
    assert expected in str(info.value) and "\n" not in str(info.value)
