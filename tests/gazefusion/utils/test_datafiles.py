"""gazefusion.utils.datafiles: TOML/JSON/YAML by suffix, one-line errors naming the file."""

import pytest

from gazefusion.errors import UserInputError
from gazefusion.utils.datafiles import read_data_file

ALL = (".toml", ".json", ".yaml")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.toml", "x = 1\n[s]\ny = 'z'\n"),
        ("a.json", '{"x": 1, "s": {"y": "z"}}'),
        ("a.yaml", "x: 1\ns:\n  y: z\n"),
    ],
)
def test_each_format_reads_the_same_data(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    assert read_data_file(tmp_path / name, "config", suffixes=ALL) == {"x": 1, "s": {"y": "z"}}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.yaml", "a: [1,\n", "cannot parse config file"),
        ("a.toml", "x = \n", "cannot parse config file"),
        ("a.txt", "x", "config file must end in .toml or .json or .yaml"),
        ("absent.json", None, "config file not found"),
    ],
)
def test_errors_are_one_line(tmp_path, name, text, message):
    if text is not None:
        (tmp_path / name).write_text(text)
    with pytest.raises(UserInputError, match=message) as info:
        read_data_file(tmp_path / name, "config", suffixes=ALL)
    assert "\n" not in str(info.value)
