"""GazeFusion toolkit: saliency-guided image generation and its evaluation.

Package map (dependencies point one way: ``metrics`` <- ``gazefusion`` <- ``study`` <- ``analysis``):

- :mod:`gazefusion.smaps`     saliency-map ("smap") convention, file I/O, authoring from specs.
- :mod:`gazefusion.geometry`  display geometry: pixels <-> degrees of visual angle.
- :mod:`gazefusion.models`    shipped configs, tiny test models, cldm <-> diffusers conversion.
- :mod:`gazefusion.pipeline`  :class:`GazeFusionPipeline` on diffusers' ControlNet pipeline.
- :mod:`gazefusion.saliency`  registry of saliency models (EML-Net, classical, pysaliency adapter).
- :mod:`gazefusion.data`      training-data preparation (``gazefusion prepare``).
- :mod:`gazefusion.training`  ControlNet training with accelerate (``gazefusion train``).
- :mod:`gazefusion.bench`     model-based saliency benchmark (``gazefusion bench``).
- :mod:`gazefusion.cli`       the ``gazefusion`` command.
"""

__version__ = "0.1.0"

from gazefusion.errors import GazeFusionError, UserInputError  # noqa: E402

__all__ = ["GazeFusionError", "UserInputError", "__version__"]
