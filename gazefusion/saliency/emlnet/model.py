"""``emlnet``: EML-Net (Jia & Bruce, Image and Vision Computing 95:103887, 2020) as a registry model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.saliency.base import SaliencyModel, torch_device
from gazefusion.saliency.emlnet.conventions import (
    CONVENTIONS,
    prepare_input,
    prepare_output,
    scorer_input,
    scorer_output,
)
from gazefusion.saliency.emlnet.weights import load_emlnet, release_paths
from gazefusion.saliency.registry import register_saliency_model

if TYPE_CHECKING:
    from torch import nn


@register_saliency_model("emlnet")
class EMLNet(SaliencyModel):
    """EML-Net, combined ImageNet + Places365 ResNet-50 version, from the original release files.

    Parameters
    ----------
    weights_dir : path, optional
        Folder with ``res_imagenet.pth``, ``res_places.pth``, ``res_decoder.pth``. Default:
        ``$GAZEFUSION_EMLNET_DIR``, else ``models/emlnet``.
    convention : {"scorer", "prepare"}, default "scorer"
        Pre-/post-processing: EML-Net's evaluation script (model-based evaluation) or GazeFusion's
        ``process.py`` (training data); see :mod:`gazefusion.saliency.emlnet.conventions`.
    device, batch_size
        Torch device and images per forward pass. The network runs in float32; resizing and
        blurring happen on the CPU, as in the originals.

    The weights are loaded on the first prediction (or by :meth:`load`); set :attr:`network` to
    use an already-built :class:`~gazefusion.saliency.emlnet.network.EMLNetNetwork`.
    """

    needs_weights = True
    default_batch_size = 8

    def __init__(
        self,
        weights_dir: str | os.PathLike | None = None,
        convention: str = "scorer",
        device: str = "cpu",
        batch_size: int | None = None,
    ) -> None:
        super().__init__(device=device, batch_size=batch_size)
        if convention not in CONVENTIONS:
            raise UserInputError(f"convention must be one of {', '.join(CONVENTIONS)}, got {convention!r}")
        self.convention = convention
        self.weights_dir = Path(weights_dir) if weights_dir is not None else None
        self.paths = release_paths(weights_dir)
        self.network: nn.Module | None = None

    def is_available(self) -> bool:
        return all(Path(p).is_file() for p in self.paths.values())

    def load(self) -> nn.Module:
        """Load the release files (if not done yet) and return the network in eval mode."""
        if self.network is None:
            self.network = load_emlnet(self.weights_dir)
        return self.network

    def _predict_batch(self, images: list[np.ndarray]) -> list[np.ndarray]:
        import torch

        device = torch_device(self.device)
        network = self.load().eval().to(device)
        to_input = scorer_input if self.convention == "scorer" else prepare_input
        batch = torch.stack([to_input(img) for img in images]).to(device)
        with torch.inference_mode():
            preds = network(batch)[:, 0].float().cpu()
        if self.convention == "scorer":
            return [scorer_output(p.numpy(), img.shape[:2]) for p, img in zip(preds, images, strict=True)]
        return [prepare_output(p, img.shape[:2]) for p, img in zip(preds, images, strict=True)]
