"""Training batches: a reproducible shuffle and the collate function (tokenised prompts)."""

from __future__ import annotations

from gazefusion.training.step import tokenize


class EpochPermutationSampler:
    """Shuffles like ``RandomSampler`` but from ``seed + epoch`` only, holding no RNG state.

    The same (seed, epoch) gives the same order on every process and after a resume; accelerate's
    batch sharding and ``skip_first_batches`` then cut that order the same way.
    """

    def __init__(self, num_samples: int, seed: int) -> None:
        self.num_samples = num_samples
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        import torch

        gen = torch.Generator().manual_seed(self.seed + self.epoch)
        yield from torch.randperm(self.num_samples, generator=gen).tolist()

    def __len__(self) -> int:
        return self.num_samples


class Collate:
    """Stack examples of :class:`~gazefusion.data.dataset.TripletDataset` and tokenise their prompts."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer

    def __call__(self, examples: list[dict]) -> dict:
        import torch

        return {
            "pixel_values": torch.stack([e["pixel_values"] for e in examples]).contiguous().float(),
            "conditioning_pixel_values": torch.stack([e["conditioning_pixel_values"] for e in examples])
            .contiguous()
            .float(),
            "input_ids": tokenize(self.tokenizer, [e["prompt"] for e in examples]),
        }
