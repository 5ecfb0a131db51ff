"""The EML-Net network (Jia & Bruce 2020): two ResNet-50 encoders with side outputs and a decoder.

Parameter and buffer names follow the release files ``res_imagenet.pth``, ``res_places.pth`` and
``res_decoder.pth`` exactly: the encoders use torchvision's ResNet-50 names (``conv1``, ``bn1``,
``layer1``…``layer4``; no ``avgpool``/``fc``) plus ``output0``…``output4`` (3x3 conv with bias +
BatchNorm + ReLU to one channel) and the ``combined`` head (5→1 conv + BN + sigmoid), which the
decoder path does not use but every encoder checkpoint holds. The decoder has ``img_model.0-4`` and
``pla_model.0-4`` (1→1 3x3 conv + BN + ReLU each) and ``combined`` (10→1 3x3 conv + BN + sigmoid).

Sizes: 23,543,231 parameters / 360 state-dict entries per encoder; 213 / 77 in the decoder.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.resnet import Bottleneck, ResNet

from gazefusion.saliency.emlnet.conventions import INPUT_SIZE

#: Channels of the five side outputs: stem before the max-pool, layer1 … layer4.
SIDE_CHANNELS = (64, 256, 512, 1024, 2048)


def _readout(in_channels: int, final: nn.Module) -> nn.Sequential:
    """3x3 conv (with bias) to one channel, BatchNorm, then ``final`` (ReLU or Sigmoid)."""
    return nn.Sequential(nn.Conv2d(in_channels, 1, kernel_size=3, padding=1), nn.BatchNorm2d(1), final)


class EMLNetEncoder(ResNet):
    """ResNet-50 saliency encoder returning its five one-channel side outputs."""

    def __init__(self) -> None:
        super().__init__(Bottleneck, [3, 4, 6, 3])
        del self.avgpool, self.fc
        for i, channels in enumerate(SIDE_CHANNELS):
            self.add_module(f"output{i}", _readout(channels, nn.ReLU(inplace=True)))
        self.combined = _readout(len(SIDE_CHANNELS), nn.Sigmoid())  # kept for the checkpoint; unused

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:  # type: ignore[override]
        """Side outputs (N, 1, h_i, w_i) of the stem (before max-pool) and of layer1 … layer4."""
        stem = self.relu(self.bn1(self.conv1(x)))
        feats = [stem]
        h = self.maxpool(stem)
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            h = layer(h)
            feats.append(h)
        return [getattr(self, f"output{i}")(f) for i, f in enumerate(feats)]


class EMLNetDecoder(nn.Module):
    """Combines the ImageNet and Places side outputs into one sigmoid map of size ``shape``."""

    def __init__(self, shape: tuple[int, int] = INPUT_SIZE, num_features: int = len(SIDE_CHANNELS)) -> None:
        super().__init__()
        self.shape = tuple(shape)
        self.img_model = nn.ModuleList(_readout(1, nn.ReLU(inplace=True)) for _ in range(num_features))
        self.pla_model = nn.ModuleList(_readout(1, nn.ReLU(inplace=True)) for _ in range(num_features))
        self.combined = _readout(2 * num_features, nn.Sigmoid())

    def forward(
        self, imagenet_features: list[torch.Tensor], places_features: list[torch.Tensor]
    ) -> torch.Tensor:
        """Each side output through its readout, nearest-upsampled to ``shape``; ImageNet 0-4 then Places 0-4."""
        maps = [
            F.interpolate(head(f), self.shape)
            for f, head in zip(imagenet_features, self.img_model, strict=True)
        ]
        maps += [
            F.interpolate(head(f), self.shape)
            for f, head in zip(places_features, self.pla_model, strict=True)
        ]
        return self.combined(torch.cat(maps, dim=1))


class EMLNetNetwork(nn.Module):
    """The full network: an RGB batch in [0, 1] (N, 3, 480, 640) → sigmoid saliency (N, 1, 480, 640)."""

    def __init__(self) -> None:
        super().__init__()
        self.imagenet = EMLNetEncoder()
        self.places = EMLNetEncoder()
        self.decoder = EMLNetDecoder()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.imagenet(x), self.places(x))
