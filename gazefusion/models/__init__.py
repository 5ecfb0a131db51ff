"""Model configs, tokenizer, tiny test models, loading and original-checkpoint conversion.

- ``configs/sd21-base/``: the Stable Diffusion 2.1-base + ControlNet diffusers config folder
  (``StableDiffusionControlNetPipeline``; no weights), shipped so nothing is downloaded.
- ``configs/tiny-sd21-base/``: the same classes and options at tiny widths (tests, demo).
- :func:`build_tokenizer` (:mod:`.tokenizer`), :mod:`.tiny`, :mod:`.cldm`, :mod:`.loading`.

Heavy libraries (torch, diffusers, transformers) are imported by the submodules only.
"""

from pathlib import Path

from gazefusion.models.tokenizer import build_tokenizer

CONFIGS_DIR = Path(__file__).parent / "configs"
#: diffusers config folder of SD2.1-base (512 px, epsilon) + ControlNet with a 3-channel hint.
SD21_CONFIG_DIR = CONFIGS_DIR / "sd21-base"
#: The tiny look-alike used by tests and the demo (tokenizer: the one in :data:`SD21_CONFIG_DIR`).
TINY_CONFIG_DIR = CONFIGS_DIR / "tiny-sd21-base"

__all__ = ["CONFIGS_DIR", "SD21_CONFIG_DIR", "TINY_CONFIG_DIR", "build_tokenizer"]
