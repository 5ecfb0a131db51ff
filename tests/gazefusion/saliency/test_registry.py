"""Registry and the SaliencyModel template method (input validation, batching, output checks)."""

import numpy as np
import pytest

from gazefusion.errors import UserInputError
from gazefusion.saliency import (
    SaliencyModel,
    available_saliency_models,
    get_saliency_model,
    register_saliency_model,
    unregister_saliency_model,
)

BUILT_IN = ["centre-bias", "emlnet", "fine-grained", "itti-koch", "spectral-residual"]


class _Recorder(SaliencyModel):
    """Records the batches it sees; the map is the image's red channel / 255."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.batches: list[int] = []

    def _predict_batch(self, images):
        self.batches.append(len(images))
        return [img[..., 0].astype(np.float32) / 255 for img in images]


@pytest.fixture
def recorder():
    register_saliency_model("test-recorder")(_Recorder)
    yield
    unregister_saliency_model("test-recorder")


def test_built_in_models_registered():
    assert set(BUILT_IN) <= set(available_saliency_models(usable_only=False))


def test_unknown_name_lists_known_names():
    with pytest.raises(UserInputError, match=r"unknown saliency model 'nope'.*itti-koch"):
        get_saliency_model("nope")


def test_unknown_option_is_user_error():
    with pytest.raises(UserInputError, match="does not accept"):
        get_saliency_model("itti-koch", colour=3)


def test_duplicate_name_rejected(recorder):
    class Other(_Recorder):
        pass

    with pytest.raises(UserInputError, match="already registered"):
        register_saliency_model("test-recorder")(Other)


def test_weights_model_listed_only_when_usable(tmp_path, monkeypatch):
    monkeypatch.setenv("GAZEFUSION_EMLNET_DIR", str(tmp_path))
    assert "emlnet" not in available_saliency_models()
    assert "emlnet" in available_saliency_models(usable_only=False)
    model = get_saliency_model("emlnet")
    assert model.needs_weights and not model.is_available()


def test_name_device_batch_size(recorder):
    model = get_saliency_model("test-recorder", device="cuda:1", batch_size=3)
    assert (model.name, model.device, model.batch_size) == ("test-recorder", "cuda:1", 3)
    model.batch_size = 2
    model.device = "cpu"
    assert (model.device, model.batch_size) == ("cpu", 2)
    with pytest.raises(UserInputError, match="batch_size"):
        model.batch_size = 0


@pytest.mark.parametrize("batch_size, expected", [(1, [1] * 5), (2, [2, 2, 1]), (8, [5])])
def test_predict_batches_mixed_sizes(recorder, batch_size, expected):
    rng = np.random.default_rng(0)
    images = [
        rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in [(5, 7), (9, 4), (3, 3), (12, 10), (1, 2)]
    ]
    model = get_saliency_model("test-recorder")
    maps = model.predict(images, batch_size=batch_size)
    assert model.batches == expected
    for img, smap in zip(images, maps, strict=True):
        assert smap.dtype == np.float32
        np.testing.assert_array_equal(smap, img[..., 0] / np.float32(255))


def test_predict_accepts_single_image_and_stack(recorder):
    model = get_saliency_model("test-recorder")
    assert len(model.predict(np.zeros((4, 5, 3), np.uint8))) == 1
    maps = model.predict(np.zeros((3, 4, 5, 3), np.uint8))
    assert [m.shape for m in maps] == [(4, 5)] * 3


@pytest.mark.parametrize(
    "images",
    [
        pytest.param(np.zeros((4, 5, 3), np.float32), id="float-image"),
        pytest.param(np.zeros((4, 5), np.uint8), id="grey-2d"),
        pytest.param(np.zeros((4, 5, 4), np.uint8), id="rgba"),
        pytest.param([np.zeros((4, 5, 3), np.uint8), "x.png"], id="path-in-list"),
        pytest.param("x.png", id="path"),
        pytest.param(np.zeros((0, 5, 3), np.uint8), id="empty"),
    ],
)
def test_predict_rejects_bad_images(recorder, images):
    with pytest.raises(UserInputError, match="images"):
        get_saliency_model("test-recorder").predict(images)


def test_output_out_of_range_is_caught():
    class Bad(SaliencyModel):
        def _predict_batch(self, images):
            return [np.full(img.shape[:2], 2.0) for img in images]

    with pytest.raises(RuntimeError, match=r"outside \[0, 1\]"):
        Bad().predict(np.zeros((4, 5, 3), np.uint8))


def test_output_wrong_shape_is_caught():
    class Bad(SaliencyModel):
        def _predict_batch(self, images):
            return [np.zeros((2, 2)) for _ in images]

    with pytest.raises(RuntimeError, match="shape"):
        Bad().predict(np.zeros((4, 5, 3), np.uint8))


def test_plugin_file_registers_models(tmp_path, monkeypatch):
    plugin = tmp_path / "my_models.py"
    plugin.write_text(
        "import numpy as np\n"
        "from gazefusion.saliency import SaliencyModel, register_saliency_model\n"
        "@register_saliency_model('test-plugin-model')\n"
        "class Half(SaliencyModel):\n"
        "    def _predict_batch(self, images):\n"
        "        return [np.full(img.shape[:2], 0.5, np.float32) for img in images]\n"
    )
    monkeypatch.setenv("GAZEFUSION_SALIENCY_PLUGINS", f" {plugin} ,")
    try:
        assert "test-plugin-model" in available_saliency_models()
        assert get_saliency_model("test-plugin-model").predict(np.zeros((2, 3, 3), np.uint8))[0][0, 0] == 0.5
    finally:
        unregister_saliency_model("test-plugin-model")


def test_missing_plugin_is_user_error(monkeypatch):
    monkeypatch.setenv("GAZEFUSION_SALIENCY_PLUGINS", "no_such_module_xyz")
    with pytest.raises(UserInputError, match="GAZEFUSION_SALIENCY_PLUGINS.*no_such_module_xyz"):
        available_saliency_models()
