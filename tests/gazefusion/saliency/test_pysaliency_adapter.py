"""The pysaliency adapter, compared with pysaliency's own output."""

import numpy as np
import pysaliency
import pytest

from gazefusion.errors import UserInputError
from gazefusion.saliency import get_saliency_model, unregister_saliency_model
from gazefusion.saliency.pysaliency_adapter import PysaliencyModel, register_pysaliency_model


def test_saliency_map_model_min_max_normalised():
    ps = pysaliency.GaussianSaliencyMapModel(width=0.3, caching=False)
    img = np.zeros((30, 40, 3), np.uint8)
    ref = ps.saliency_map(img)
    ref = (ref - ref.min()) / (ref.max() - ref.min())
    np.testing.assert_allclose(PysaliencyModel(ps).predict(img)[0], ref, atol=1e-6)


def test_probabilistic_model_uses_density():
    ps = pysaliency.UniformModel(caching=False)
    img = np.zeros((8, 9, 3), np.uint8)
    # a uniform density is constant: min-max of a constant map is all zeros
    np.testing.assert_array_equal(PysaliencyModel(ps).predict(img)[0], np.zeros((8, 9), np.float32))


def test_registration_by_name_with_lazy_factory_and_availability():
    built = []

    def factory():
        built.append(1)
        return pysaliency.GaussianSaliencyMapModel(caching=False)

    register_pysaliency_model("test-ps", factory, needs_weights=True, available=lambda: False)
    try:
        model = get_saliency_model("test-ps", batch_size=2)
        assert built == [] and model.needs_weights and not model.is_available()
        assert model.predict([np.zeros((5, 6, 3), np.uint8)] * 3)[2].shape == (5, 6)
        assert built == [1]
    finally:
        unregister_saliency_model("test-ps")


def test_not_a_model_is_user_error():
    with pytest.raises(UserInputError, match="pysaliency"):
        PysaliencyModel(42).predict(np.zeros((5, 6, 3), np.uint8))
