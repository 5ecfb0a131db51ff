"""The offline tokenizer reproduces open_clip.tokenize (what the original's FrozenOpenCLIPEmbedder uses)."""

import open_clip
import pytest

from gazefusion.models.tokenizer import CONTEXT_LENGTH, TOKENIZER_DIR, build_tokenizer, write_tokenizer_files

PROMPTS = [
    "a sailboat on the sea",
    "",
    "An Astronaut riding a horse, 4k, trending on ArtStation",
    "a red apple; a green apple: two apples (close-up) - studio lighting",
    "caf\u00e9 na\u00efve \u00fcber stra\u00dfe \u65e5\u672c\u8a9e",
    "numbers 12345 and 3.14159, emoji \U0001f600",
    "word " * 120,  # longer than 77 tokens: truncated, end token kept
    "wow!! a cat! !",  # a plain CLIPTokenizer with pad "!" would turn each "!" into the pad id
]


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer()


@pytest.mark.parametrize("prompt", PROMPTS, ids=range(len(PROMPTS)))
def test_ids_equal_open_clip_tokenize(tokenizer, prompt):
    ids = tokenizer(prompt, padding="max_length", max_length=CONTEXT_LENGTH, truncation=True).input_ids
    assert ids == open_clip.tokenize([prompt])[0].tolist()


def test_pad_is_exclamation_mark_id_0_and_length_77(tokenizer):
    assert tokenizer.pad_token == "!"
    assert tokenizer.pad_token_id == 0
    assert tokenizer.model_max_length == CONTEXT_LENGTH
    assert len(tokenizer) == 49408
    ids = tokenizer("a cat", padding="max_length", max_length=CONTEXT_LENGTH).input_ids
    assert len(ids) == 77 and ids[-1] == 0 and ids[:1] == [49406] and 49407 in ids


def test_plain_tokenizer_is_what_diffusers_loads_and_splits_the_pad_token():
    from transformers import CLIPTokenizer

    plain = build_tokenizer(openclip_exact=False)
    reference = CLIPTokenizer.from_pretrained(TOKENIZER_DIR, local_files_only=True)
    assert plain("wow!").input_ids == reference("wow!").input_ids == [49406, 2781, 0, 49407]
    assert build_tokenizer()("wow!").input_ids == open_clip.tokenize(["wow!"])[0, :4].tolist()


def test_exact_tokenizer_decodes_cleanly(tokenizer):
    assert tokenizer.decode(tokenizer("a cat!").input_ids, skip_special_tokens=True) == "a cat !"


def test_shipped_files_equal_a_fresh_build_from_open_clip(tmp_path):
    write_tokenizer_files(tmp_path)
    for name in ("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"):
        assert (tmp_path / name).read_bytes() == (TOKENIZER_DIR / name).read_bytes(), name
