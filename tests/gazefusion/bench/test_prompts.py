"""Prompt-set readers: every format, the shipped set, and clear errors."""

import json

import pytest

from gazefusion.bench.prompts import DEFAULT_PROMPTS, Prompt, load_prompts
from gazefusion.errors import UserInputError


def test_shipped_set_has_at_least_100_distinct_prompts():
    prompts = load_prompts(DEFAULT_PROMPTS)
    assert len(prompts) >= 100
    assert len({p.text.lower() for p in prompts}) == len(prompts)
    assert prompts[0] == Prompt("p0000", "A sailboat on the sea.")


def test_text_skips_comments_and_blank_lines(tmp_path):
    f = tmp_path / "p.txt"
    f.write_text("# header\n\n  a dog  on a  couch \n# note\na cat\n")
    assert load_prompts(f) == [Prompt("p0000", "a dog on a couch"), Prompt("p0001", "a cat")]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        pytest.param(
            "p.csv",
            "id,caption\n7,a red bus\nx y,a boat\n",
            [("7", "a red bus"), ("x_y", "a boat")],
            id="csv",
        ),
        pytest.param("p.csv", "prompt\na red bus\n", [("p0000", "a red bus")], id="csv-no-id"),
        pytest.param(
            "p.jsonl",
            '"a red bus"\n{"prompt_id": "q", "text": "a boat"}\n',
            [("p0000", "a red bus"), ("q", "a boat")],
            id="jsonl",
        ),
        pytest.param(
            "p.json",
            json.dumps(
                {"images": [], "annotations": [{"id": 11, "image_id": 3, "caption": "A man on a horse."}]}
            ),
            [("coco11", "A man on a horse.")],
            id="coco",
        ),
        pytest.param(
            "p.json", json.dumps(["one", {"caption": "two"}]), [("p0000", "one"), ("p0001", "two")], id="list"
        ),
    ],
)
def test_formats(tmp_path, name, content, expected):
    f = tmp_path / name
    f.write_text(content)
    assert [(p.prompt_id, p.text) for p in load_prompts(f)] == expected


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        pytest.param(None, None, "prompt file not found", id="missing"),
        pytest.param("p.txt", "# only a comment\n", "no prompts found", id="empty"),
        pytest.param("p.yaml", "a: b", "unknown prompt file type", id="suffix"),
        pytest.param("p.json", "{not json", "invalid JSON", id="bad-json"),
        pytest.param("p.csv", "id,prompt\n1,a\n1,b\n", "duplicate prompt id", id="duplicate"),
        pytest.param("p.csv", "id,other\n1,a\n", "no non-empty prompt/caption/text", id="no-text"),
    ],
)
def test_errors_name_the_argument(tmp_path, name, content, match):
    f = tmp_path / (name or "absent.txt")
    if content is not None:
        f.write_text(content)
    with pytest.raises(UserInputError, match=match) as info:
        load_prompts(f)
    assert str(info.value).startswith("--prompts:") and "\n" not in str(info.value)
