"""The SD2.1 text tokenizer (OpenCLIP's BPE as a transformers ``CLIPTokenizer``), built offline.

OpenCLIP ships its byte-pair-encoding table as ``bpe_simple_vocab_16e6.txt.gz`` inside the
``open_clip_torch`` wheel. :func:`write_tokenizer_files` turns it into the ``vocab.json`` /
``merges.txt`` pair that ``CLIPTokenizer`` reads (the same files as the SD2.1 repositories' ``tokenizer/``
folder); the result is shipped in ``configs/sd21-base/tokenizer``. Padding uses ``"!"`` (id 0), as
``open_clip.tokenize`` pads with zeros, and every prompt becomes exactly 77 ids.

A plain ``CLIPTokenizer`` with pad token ``"!"`` (what diffusers' SD2 folders ship) treats every ``"!"``
in a prompt as the special pad token, so "wow!" differs from ``open_clip.tokenize``.
:func:`make_openclip_exact` removes that special-token split; :func:`build_tokenizer` applies it
by default and :func:`gazefusion.models.loading.load_components` applies it to every tokenizer it
returns. Remaining difference: OpenCLIP also runs ``ftfy.fix_text`` and ``html.unescape`` on the
prompt (``"&amp;"`` → ``"&"``, mojibake repair); prompts that need neither tokenize identically.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path
from typing import TYPE_CHECKING

from gazefusion.utils.atomic import atomic_write_json, atomic_write_text

if TYPE_CHECKING:
    from transformers import CLIPTokenizer

#: Tokens per prompt (OpenCLIP's context length).
CONTEXT_LENGTH = 77
#: Size of the OpenCLIP/CLIP vocabulary: 256 bytes, 256 word-final bytes, 48,894 merges, 2 specials.
VOCAB_SIZE = 49408
_N_MERGES = 49152 - 256 - 2

#: The SD2.1-base tokenizer folder shipped with the package.
TOKENIZER_DIR = Path(__file__).parent / "configs" / "sd21-base" / "tokenizer"

_TOKENIZER_CONFIG = {
    "tokenizer_class": "CLIPTokenizer",
    "model_max_length": CONTEXT_LENGTH,
    "bos_token": "<|startoftext|>",
    "eos_token": "<|endoftext|>",
    "unk_token": "<|endoftext|>",
    "pad_token": "!",
    "do_lower_case": True,
    "errors": "replace",
    "add_prefix_space": False,
}


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible map from the 256 byte values to printable unicode characters."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, chars), strict=True))


def openclip_bpe_path() -> Path:
    """Path of the BPE table bundled in ``open_clip_torch``."""
    from open_clip.tokenizer import default_bpe

    return Path(default_bpe())


def write_tokenizer_files(out_dir: str | Path, bpe_path: str | Path | None = None) -> Path:
    """Write ``vocab.json``, ``merges.txt`` and the tokenizer configs built from OpenCLIP's BPE table.

    The vocabulary order is OpenCLIP's: byte symbols, the same with ``</w>``, the merges in rank
    order, then ``<|startoftext|>`` (49406) and ``<|endoftext|>`` (49407).
    """
    out = Path(out_dir)
    lines = gzip.open(bpe_path or openclip_bpe_path()).read().decode("utf-8").split("\n")
    merges = lines[1 : _N_MERGES + 1]
    symbols = list(_bytes_to_unicode().values())
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m.split()) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    if len(vocab) != VOCAB_SIZE:
        raise ValueError(
            f"BPE table {bpe_path}: expected a {VOCAB_SIZE}-token vocabulary, built {len(vocab)}"
        )
    atomic_write_text(out / "vocab.json", json.dumps({t: i for i, t in enumerate(vocab)}, ensure_ascii=False))
    atomic_write_text(out / "merges.txt", "#version: 0.2\n" + "\n".join(merges) + "\n")
    atomic_write_json(out / "tokenizer_config.json", _TOKENIZER_CONFIG)
    atomic_write_json(
        out / "special_tokens_map.json",
        {k: _TOKENIZER_CONFIG[k] for k in ("bos_token", "eos_token", "unk_token", "pad_token")},
    )
    return out


@functools.lru_cache(maxsize=4)
def _without_added_token(backend_json: str, content: str) -> str | None:
    """The backend JSON with the added token ``content`` removed, or None if there is nothing to remove."""
    backend = json.loads(backend_json)
    if content not in backend["model"]["vocab"]:  # its id must survive as an ordinary BPE token
        return None
    kept = [t for t in backend["added_tokens"] if t["content"] != content]
    if len(kept) == len(backend["added_tokens"]):
        return None
    backend["added_tokens"] = kept
    return json.dumps(backend)


def make_openclip_exact(tokenizer: CLIPTokenizer) -> CLIPTokenizer:
    """Stop splitting ``"!"`` off as the special pad token, in place; padding still uses id 0.

    Not kept by ``save_pretrained`` / ``from_pretrained`` (the pad token is re-registered on load), so
    apply it after loading. Cheap when already applied.
    """
    from tokenizers import Tokenizer

    pad = tokenizer.pad_token
    added = {t.content for t in tokenizer.backend_tokenizer.get_added_tokens_decoder().values()}
    if pad not in added:
        return tokenizer
    exact = _without_added_token(tokenizer.backend_tokenizer.to_str(), pad)
    if exact is not None:
        tokenizer._tokenizer = Tokenizer.from_str(exact)
        tokenizer._wrap_decode_method_backend_tokenizer()
    return tokenizer


def build_tokenizer(path: str | Path | None = None, *, openclip_exact: bool = True) -> CLIPTokenizer:
    """The SD2.1 ``CLIPTokenizer`` (77 tokens, pad ``"!"`` = id 0), from the shipped files, offline.

    ``path`` may name another tokenizer folder; by default the one in ``configs/sd21-base``. With
    ``openclip_exact`` (see :func:`make_openclip_exact`) its ids equal ``open_clip.tokenize``
    (``tokenizer(text, padding="max_length", max_length=77, truncation=True)``) for prompts without
    HTML entities or mojibake; without it, it is exactly the tokenizer diffusers loads from the folder.
    """
    from transformers import CLIPTokenizer

    tokenizer = CLIPTokenizer.from_pretrained(str(path or TOKENIZER_DIR), local_files_only=True)
    return make_openclip_exact(tokenizer) if openclip_exact else tokenizer
