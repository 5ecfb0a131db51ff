"""SamplingParams: the one home of the sampling defaults (the original generate.py's), validated."""

from __future__ import annotations

import math

import pytest

from gazefusion.errors import UserInputError
from gazefusion.pipeline.sampling import SamplingParams, sampling_from


def test_defaults_are_the_original_generate_py():
    assert SamplingParams().to_json() == {
        "steps": 50,
        "guidance_scale": 9.0,
        "control_scale": 1.0,
        "negative_prompt": None,
        "eta": 0.0,
    }


def test_overrides_replace_fields_and_ints_become_floats():
    s = sampling_from(None, steps=4, guidance_scale=3)
    assert (s.steps, s.guidance_scale, s.control_scale) == (4, 3.0, 1.0)
    assert isinstance(s.guidance_scale, float)
    assert sampling_from(s) is s and s.replace(eta=0.5).eta == 0.5


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"steps": 0}, "steps: expected an integer >= 1"),
        ({"steps": 2.5}, "steps: expected an integer >= 1"),
        ({"steps": True}, "steps: expected an integer >= 1"),
        ({"guidance_scale": math.nan}, "guidance_scale: expected a finite number"),
        ({"control_scale": math.inf}, "control_scale: expected a finite number"),
        ({"eta": "0"}, "eta: expected a finite number"),
        ({"negative_prompt": 3}, "negative_prompt: expected text or None"),
        ({"guidance": 5.0}, "unknown sampling parameter(s) guidance; known: steps, guidance_scale"),
    ],
)
def test_bad_values_are_one_line_errors(changes, expected):
    with pytest.raises(UserInputError) as info:
        SamplingParams().replace(**changes)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_the_pipeline_refuses_an_unknown_keyword(pipe):
    with pytest.raises(UserInputError, match="unknown sampling parameter"):
        pipe("a boat", "smap1", num_samples=1, stepz=2, height=64, width=64)
