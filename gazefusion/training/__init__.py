"""ControlNet training (``gazefusion train``), after diffusers' ``examples/controlnet/train_controlnet.py``.

Heavy libraries are imported by the functions that need them; import the submodules directly:
:mod:`~gazefusion.training.config` (``TrainConfig``, ``parse_args``), :mod:`~gazefusion.training.loop`
(``train``), :mod:`~gazefusion.training.step` (the loss), :mod:`~gazefusion.training.model`,
:mod:`~gazefusion.training.checkpoints`, :mod:`~gazefusion.training.validation`,
:mod:`~gazefusion.training.export`.
"""
