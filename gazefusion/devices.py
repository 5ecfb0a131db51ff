"""Torch devices named by the user, checked once: one form for every ``--device`` option."""

from __future__ import annotations

from gazefusion.errors import UserInputError


def available_devices() -> list[str]:
    """The devices this machine has: ``cpu``, then ``cuda:0`` .. ``cuda:N-1`` and ``mps`` where present."""
    import torch

    names = ["cpu"]
    if torch.cuda.is_available():
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        names.append("mps")
    return names


def torch_device(device: object, option: str = "--device"):
    """``torch.device(device)``, checked: a malformed name or a device this machine lacks is a
    one-line :class:`UserInputError` that names ``option`` and lists the devices that exist."""
    import torch

    def refuse(why: str) -> UserInputError:
        return UserInputError(
            f"{option}: {why}, found {str(device)!r}; devices here: {', '.join(available_devices())}"
        )

    try:
        dev = device if isinstance(device, torch.device) else torch.device(str(device))
    except (RuntimeError, ValueError, TypeError):
        raise refuse("expected a torch device such as cpu, cuda or cuda:1") from None
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (dev.index or 0) >= count:
            raise refuse("no such GPU on this machine")
    elif dev.type == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise refuse("no such device on this machine")
    elif dev.type != "cpu":
        raise refuse("expected cpu, cuda[:N] or mps")
    return dev
