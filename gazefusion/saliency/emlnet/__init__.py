"""EML-Net: network, strict loading of the release files, the two processing conventions, the model."""

from gazefusion.saliency.emlnet.model import EMLNet
from gazefusion.saliency.emlnet.weights import (
    RELEASE_FILES,
    WEIGHTS_DIR_ENV,
    default_weights_dir,
    load_emlnet,
    read_state_dict,
    release_paths,
    save_release_files,
)

__all__ = [
    "EMLNet",
    "RELEASE_FILES",
    "WEIGHTS_DIR_ENV",
    "default_weights_dir",
    "load_emlnet",
    "read_state_dict",
    "release_paths",
    "save_release_files",
]
