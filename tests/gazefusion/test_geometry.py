"""DisplayGeometry.centred_rect: the one rule that places a stimulus on the screen."""

from __future__ import annotations

import pytest

from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry


@pytest.mark.parametrize(
    ("size", "fit", "expected"),
    [
        ((640, 480), "none", (640.0, 300.0, 640.0, 480.0)),
        ((640, 480), "shrink", (640.0, 300.0, 640.0, 480.0)),
        ((640, 480), "fill", (240.0, 0.0, 1440.0, 1080.0)),
        ((3840, 1080), "shrink", (0.0, 270.0, 1920.0, 540.0)),
        ((3840, 1080), "none", (-960.0, 0.0, 3840.0, 1080.0)),
    ],
)
def test_centred_rect_is_the_one_placement_rule(size, fit, expected):
    g = DisplayGeometry(width_px=1920, height_px=1080, width_cm=53.1, distance_cm=60.0)
    assert g.centred_rect(size, fit=fit) == pytest.approx(expected)


def test_centred_rect_refuses_bad_input():
    g = DisplayGeometry(width_px=1920, height_px=1080, width_cm=53.1, distance_cm=60.0)
    with pytest.raises(UserInputError, match="fit: expected none, shrink or fill"):
        g.centred_rect((10, 10), fit="stretch")
    with pytest.raises(UserInputError, match="stimulus size: expected positive pixels"):
        g.centred_rect((0, 10))
