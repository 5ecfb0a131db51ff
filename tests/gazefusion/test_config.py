"""The one configuration mechanism (gazefusion.config): one-line errors, frozen copies, JSON."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from pydantic import Field, field_validator, model_validator

from gazefusion.config import Config, field_annotation_base, is_nullable
from gazefusion.errors import UserInputError


class Inner(Config):
    count: int = Field(1, ge=1)


class Options(Config):
    label_style = "option"

    resolution: int = Field(512, description="pixels")
    rate: float = 0.5
    folder: Path = Path("out")
    names: tuple[str, ...] = ("a",)
    limit: int | None = None
    inner: Inner = Inner()

    @field_validator("resolution")
    @classmethod
    def _multiple_of_8(cls, value: int) -> int:
        if value % 8:
            raise ValueError("a positive multiple of 8")
        return value

    @model_validator(mode="after")
    def _rate_fits(self) -> Options:
        if self.rate > 2:
            raise UserInputError("--rate: at most 2 at this resolution")
        return self


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"resolution": 12}, "--resolution: expected a positive multiple of 8, found 12"),
        ({"rate": float("nan")}, "--rate: expected a finite number, found nan"),
        ({"rate": float("inf")}, "--rate: expected a finite number, found inf"),
        ({"rate": 3.0}, "--rate: at most 2 at this resolution"),
        ({"bogus": 1}, "--bogus: unknown setting; known: resolution, rate, folder, names, limit, inner"),
        ({"inner": {"count": 0}}, "--inner[count]: expected a number >= 1, found 0"),
        ({"inner": {"other": 0}}, "--inner[other]: unknown setting; known: count"),
    ],
)
def test_errors_are_one_line_naming_field_expected_and_found(changes, line):
    with pytest.raises(UserInputError) as info:
        Options(**changes)
    assert str(info.value) == line
    assert "\n" not in str(info.value)


def test_several_problems_report_the_first_and_count_the_rest():
    with pytest.raises(
        UserInputError, match=r"^--resolution: expected an integer, found 'x' \(and 1 more problem\)$"
    ):
        Options(resolution="x", rate="y")


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"folder": 3}, "--folder: expected a file path, found 3"),
        ({"names": 5}, "--names: expected a list, found 5"),
        ({"inner": 7}, "--inner: expected a table of settings, found 7"),
    ],
)
def test_type_errors_say_what_kind_of_value_is_expected(changes, line):
    with pytest.raises(UserInputError) as info:
        Options(**changes)
    assert str(info.value) == line


def test_from_json_gives_the_same_errors_as_the_constructor():
    with pytest.raises(UserInputError, match="^--resolution: expected a positive multiple of 8, found 12$"):
        Options.from_json({"resolution": 12})


def test_frozen_and_replace_validates():
    options = Options()
    with pytest.raises(Exception):  # noqa: B017 (pydantic's frozen-instance error)
        options.rate = 1.0  # type: ignore[misc]
    assert options.replace() is options
    assert options.replace(rate=1.5).rate == 1.5
    assert options.rate == 0.5
    with pytest.raises(UserInputError, match="^--resolution: expected a positive multiple of 8"):
        options.replace(resolution=7)
    with pytest.raises(UserInputError, match="^--nope: unknown setting"):
        options.replace(nope=1)


def test_json_round_trip_and_differences():
    options = Options(folder=Path("a/b"), names=("x", "y"), limit=3, inner=Inner(count=2))
    data = options.to_json()
    assert data == {
        "resolution": 512,
        "rate": 0.5,
        "folder": "a/b",
        "names": ["x", "y"],
        "limit": 3,
        "inner": {"count": 2},
    }
    assert Options.from_json(data) == options
    assert pickle.loads(pickle.dumps(options)) == options
    assert options.differences(options) == []
    assert options.replace(rate=1.0, limit=None).differences(options) == ["rate", "limit"]
    assert Options.json_schema()["properties"]["resolution"]["description"] == "pixels"


def test_annotation_helpers():
    fields = Options.model_fields
    assert is_nullable(fields["limit"].annotation)
    assert not is_nullable(fields["resolution"].annotation)
    assert field_annotation_base(fields["limit"].annotation) is int
    assert field_annotation_base(fields["names"].annotation) is str
    assert field_annotation_base(fields["folder"].annotation) is Path
