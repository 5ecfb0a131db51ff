"""Captioners: BLIP-2 through transformers (a tiny random model saved locally), and tables."""

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from gazefusion.data.captions import Blip2Captioner, CropRef, TableCaptioner, read_coco_captions
from gazefusion.errors import UserInputError


@pytest.fixture(scope="module")
def tiny_blip2(tmp_path_factory):
    """A random Blip2ForConditionalGeneration (ViT, Q-Former, OPT at width 16) with its processor."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        Blip2Config,
        Blip2ForConditionalGeneration,
        Blip2Processor,
        BlipImageProcessor,
        PreTrainedTokenizerFast,
    )

    words = ["<pad>", "</s>", "<unk>", "a", "cat", "dog", "on", "the", "sea", "boat", "red", "blue"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="</s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )
    processor = Blip2Processor(
        BlipImageProcessor(size={"height": 16, "width": 16}), tokenizer, num_query_tokens=2
    )
    image_token = tokenizer.convert_tokens_to_ids("<image>")
    config = Blip2Config(
        vision_config={
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 16,
            "patch_size": 8,
        },
        qformer_config={
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "encoder_hidden_size": 16,
        },
        text_config={
            "model_type": "opt",
            "vocab_size": len(tokenizer),
            "hidden_size": 16,
            "ffn_dim": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "word_embed_proj_dim": 16,
            "max_position_embeddings": 64,
            "bos_token_id": 1,
            "eos_token_id": 1,
            "pad_token_id": 0,
        },
        num_query_tokens=2,
        image_token_index=image_token,
    )
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("blip2") / "model"
    Blip2ForConditionalGeneration(config).save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def _crops(tmp_path, n=3):
    rng = np.random.default_rng(0)
    refs = []
    for i in range(n):
        path = tmp_path / f"s{i}_1.jpg"
        Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(path)
        refs.append(CropRef(f"s{i}_1", path, f"s{i}.jpg"))
    return refs


def test_blip2_captions_one_stripped_string_per_crop(tiny_blip2, tmp_path):
    captioner = Blip2Captioner(str(tiny_blip2), device="cpu", batch_size=2, max_new_tokens=5)
    refs = _crops(tmp_path)
    prompts = captioner(refs)
    assert len(prompts) == 3 and all(isinstance(p, str) for p in prompts)
    assert all(p == p.strip() for p in prompts)
    assert captioner(refs) == prompts  # greedy decoding: deterministic
    assert captioner.name == f"blip2:{tiny_blip2}"
    assert captioner.dtype.is_floating_point and str(captioner.dtype) == "torch.float32"  # fp16 only on GPU


def test_blip2_in_prepare(tiny_blip2, tmp_path):
    from gazefusion.data.prepare import PrepareConfig, prepare_dataset

    raw = tmp_path / "raw"
    raw.mkdir()
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (32, 48, 3), dtype=np.uint8)).save(
        raw / "a.png"
    )
    prepare_dataset(
        PrepareConfig(
            raw_dir=raw,
            out_dir=tmp_path / "ds",
            resolution=32,
            saliency_model="spectral-residual",
            blip2_model=str(tiny_blip2),
            caption_batch_size=4,
            max_new_tokens=4,
        )
    )
    frame = pd.read_parquet(tmp_path / "ds" / "manifest.parquet")
    assert len(frame) == 2 and set(frame["captioner"]) == {f"blip2:{tiny_blip2}"}
    assert all(isinstance(p, str) for p in frame["prompt"])


def test_blip2_missing_weights_is_clear(tmp_path):
    with pytest.raises(UserInputError, match=r"--blip2-model: BLIP-2 weights .* not found locally"):
        Blip2Captioner(str(tmp_path / "absent"), device="cpu")


def test_table_lookup_prefers_most_specific_key(tmp_path):
    table = TableCaptioner({"s0_1.jpg": "crop file", "s0": "stem", "s1.jpg": "source", "s2": "stem two"}, "t")
    assert table(_crops(tmp_path)) == ["crop file", "source", "stem two"]
    assert table([CropRef("q_1", tmp_path / "q_1.jpg", "q.png")]) == [None]


def test_coco_reader_rejects_foreign_json(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"images": [{"id": 1}]}))
    with pytest.raises(UserInputError, match="COCO captions"):
        read_coco_captions(path)
