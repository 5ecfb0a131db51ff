"""Spec files: parsing, validation errors, round trips."""

import copy
import json
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry
from gazefusion.smaps import Element, Keyframes, SmapSpec

TOML = """
description = "test"
size = [64, 48]
combine = "max"
[display]
width_px = 1920
height_px = 1080
width_cm = 53.1
distance_cm = 60.0
[[elements]]
type = "gaussian"
center = ["1deg", 20]
sigma = "0.5deg"
[[elements]]
type = "rect"
box = [0, 0, 10, 10]
edge = 2
weight = 0.5
[[suppress]]
type = "polygon"
points = [[0, 0], [10, 0], [0, 10]]
feather = 3
"""


def test_toml_and_json_files_give_the_same_spec(tmp_path):
    (tmp_path / "s.toml").write_text(TOML)
    spec = SmapSpec.from_file(tmp_path / "s.toml")
    assert spec.size == (64, 48) and spec.combine == "max" and spec.uses_degrees
    assert spec.display == DisplayGeometry(width_px=1920, height_px=1080, width_cm=53.1, distance_cm=60.0)
    assert [e.type for e in spec.elements] == ["gaussian", "rect"]
    assert spec.suppress[0].get("strength") == 1.0  # default
    (tmp_path / "s.json").write_text(json.dumps(spec.to_json()))
    assert SmapSpec.from_file(tmp_path / "s.json") == spec
    spec.to_file(tmp_path / "again.toml")
    assert SmapSpec.from_file(tmp_path / "again.toml") == spec


def test_keyframes_are_parsed():
    spec = SmapSpec.from_dict(
        {
            "size": [8, 8],
            "elements": [
                {
                    "type": "gaussian",
                    "center": [{"t": 0, "value": [1, 1]}, {"t": 1, "value": [6, 6]}],
                    "sigma": 2,
                }
            ],
        }
    )
    center = spec.elements[0].params["center"]
    assert center == Keyframes(times=(0.0, 1.0), values=((1, 1), (6, 6)))
    assert SmapSpec.from_dict(spec.to_json()) == spec


def _spec(**element):
    return {"size": [32, 32], "elements": [element]}


@pytest.mark.parametrize(
    ("d", "match"),
    [
        pytest.param(
            _spec(type="star", center=[1, 1]), "type 'star' is unknown.*gaussian", id="unknown-type"
        ),
        pytest.param(
            _spec(type="gaussian", center=[1, 1], sigma=-3), "sigma: must be > 0", id="negative-sigma"
        ),
        pytest.param(_spec(type="gaussian", center=[1, 1], sigma=0), "sigma: must be > 0", id="zero-sigma"),
        pytest.param(
            _spec(type="gaussian", center=[1, 1], sigma="2cm"), "unknown unit 'cm'.*px, deg", id="unit"
        ),
        pytest.param(_spec(type="gaussian", center=[1, 1], sigma="abc"), "cannot read 'abc'", id="garbage"),
        pytest.param(
            _spec(type="gaussian", center=[1, 1]), "exactly one of sigma or sigma_x\\+sigma_y", id="no-sigma"
        ),
        pytest.param(
            _spec(type="gaussian", center=[1, 1], sigma=1, sigma_x=2, sigma_y=2), "exactly one of", id="both"
        ),
        pytest.param(_spec(type="gaussian", sigma=1), "missing required parameter 'center'", id="no-center"),
        pytest.param(
            _spec(type="gaussian", center=[1], sigma=1), r"center: expected \[x, y\]", id="center-len"
        ),
        pytest.param(
            _spec(type="gaussian", center=[1, 1], sigma=1, colour=3), "unknown parameter", id="param"
        ),
        pytest.param(
            _spec(type="gaussian", center=[1, 1], sigma=1, weight=-1), "weight: must be >= 0", id="weight"
        ),
        pytest.param(
            _spec(type="gaussian", center=[1, 1], sigma=1, weight="1deg"), "no unit", id="weight-unit"
        ),
        pytest.param(_spec(type="polygon", points=[[0, 0], [1, 1]]), ">= 3 points", id="polygon"),
        pytest.param(_spec(type="rect", box=[0, 0, 1]), r"\[x0, y0, x1, y1\]", id="box"),
        pytest.param(
            _spec(
                type="gaussian", center=[{"t": 0.5, "value": [1, 1]}, {"t": 0.2, "value": [2, 2]}], sigma=1
            ),
            "times must increase",
            id="keyframe-order",
        ),
        pytest.param(
            _spec(type="gaussian", center=[{"time": 0, "value": [1, 1]}], sigma=1),
            "keys 't' and 'value'",
            id="keyframe-keys",
        ),
        pytest.param({"size": [32, 32], "elements": [], "suppress": []}, "at least one element", id="empty"),
        pytest.param({"size": [32, 32], "colour": 1, "elements": []}, "unknown key", id="top-key"),
        pytest.param(
            {"size": [0, 32], "elements": [{"type": "rect", "box": [0, 0, 1, 1]}]}, "size", id="size"
        ),
        pytest.param(
            {"units": "mm", "elements": [{"type": "rect", "box": [0, 0, 1, 1]}]}, "units", id="units"
        ),
        pytest.param(
            {"combine": "avg", "elements": [{"type": "rect", "box": [0, 0, 1, 1]}]}, "combine", id="combine"
        ),
        pytest.param({"peak": 1.5, "elements": [{"type": "rect", "box": [0, 0, 1, 1]}]}, "peak", id="peak"),
        pytest.param(
            {
                "elements": [{"type": "rect", "box": [0, 0, 1, 1]}],
                "suppress": [{"type": "gaussian", "center": [1, 1], "sigma": 1}],
            },
            "suppress type",
            id="sup",
        ),
        pytest.param(
            {
                "elements": [{"type": "rect", "box": [0, 0, 1, 1]}],
                "suppress": [{"type": "rect", "box": [0, 0, 1, 1], "strength": 2}],
            },
            "strength",
            id="strength",
        ),
    ],
)
def test_bad_specs_raise_clear_errors(d, match):
    with pytest.raises(UserInputError, match=match):
        SmapSpec.from_dict(d)


def test_file_errors(tmp_path):
    with pytest.raises(UserInputError, match="not found"):
        SmapSpec.from_file(tmp_path / "none.toml")
    with pytest.raises(UserInputError, match=".toml or .json"):
        SmapSpec.from_file(tmp_path / "spec.yaml")
    (tmp_path / "bad.toml").write_text("size = [1, ")
    with pytest.raises(UserInputError, match="cannot parse"):
        SmapSpec.from_file(tmp_path / "bad.toml")
    (tmp_path / "bad2.toml").write_text('[[elements]]\ntype = "blob"\n')
    with pytest.raises(UserInputError, match="bad2.toml.*'blob'"):
        SmapSpec.from_file(tmp_path / "bad2.toml")


def test_elements_are_immutable():
    e = Element(type="gaussian", params={"center": [1, 2], "sigma": 3})
    with pytest.raises(TypeError):
        e.params["sigma"] = 4
    assert e.params["center"] == (1, 2)
    assert hash(e) == hash(Element(type="gaussian", params={"center": (1, 2), "sigma": 3}))


def test_specs_survive_pickle_and_deepcopy(tmp_path):
    """Specs travel to worker processes (benchmark, study)."""
    (tmp_path / "s.toml").write_text(TOML)
    spec = SmapSpec.from_file(tmp_path / "s.toml")
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert copy.deepcopy(spec) == spec


quantity = st.one_of(
    st.integers(1, 500),
    st.floats(0.1, 500, allow_nan=False).map(lambda v: round(v, 3)),
    st.floats(0.1, 20).map(lambda v: f"{v:.3f}deg"),
    st.integers(1, 500).map(lambda v: f"{v}px"),
)
gaussian = st.fixed_dictionaries(
    {
        "type": st.just("gaussian"),
        "center": st.tuples(quantity, quantity).map(list),
        "sigma": quantity,
        "weight": st.floats(0, 2).map(lambda v: round(v, 4)),
    }
)
rect = st.fixed_dictionaries(
    {"type": st.just("rect"), "box": st.lists(quantity, min_size=4, max_size=4), "edge": quantity}
)


@settings(max_examples=30, deadline=None)
@given(
    elements=st.lists(st.one_of(gaussian, rect), min_size=1, max_size=3),
    combine=st.sampled_from(["sum", "max"]),
    units=st.sampled_from(["px", "deg"]),
)
def test_to_json_from_dict_round_trip(elements, combine, units):
    spec = SmapSpec.from_dict({"size": [40, 30], "combine": combine, "units": units, "elements": elements})
    again = SmapSpec.from_dict(spec.to_json())
    assert again == spec
    assert again.to_json() == spec.to_json()
