"""cl.transfer: the slides' counts from built models, freezing done right, the digit
transfer that learns, the shipped results, and the cats-vs-dogs download (checked and
cached, against a local HTTP server with a tiny stand-in zip)."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile

import numpy as np
import pytest

import course_lib as cl
from course_lib import data, transfer

# ----------------------------------------------------------------------------- counts


def test_network1_has_the_slides_parameters_and_flattens_to_4096():
    model = transfer.network1()
    assert model.count_params() == 633_985
    flatten = [layer for layer in model.layers if "flatten" in layer.name][0]
    assert flatten.output.shape[1] == 8 * 8 * 64


def test_vgg16_on_64x64_ends_in_2x2x512_and_network2_counts():
    with cl.zoo.shapes_only():
        base = transfer.vgg16_base(None, (64, 64, 3))
        model = transfer.network2(base)
        assert base.count_params() == 14_714_688
        assert tuple(base.output.shape[1:]) == (2, 2, 512)
        assert model.count_params() == 14_977_089
    cl.zoo.release()


def test_trainable_counts_by_blocks_rise_and_match_the_hand_count():
    counts = transfer.vgg16_trainable_by_blocks()
    head = 2048 * 128 + 128 + 128 + 1
    block5 = 3 * (3 * 3 * 512 * 512 + 512)
    assert counts[0] == head and counts[1] == head + block5 == 7_341_825
    assert counts[-1] == 14_977_089
    assert all(a < b for a, b in zip(counts, counts[1:], strict=False))


def test_unfreeze_top_blocks_freezes_the_rest():
    base = transfer.features_of(transfer.digit_base(seed=0))
    for layer in base.layers:
        layer.trainable = True
    transfer.unfreeze_top_blocks(base, 1)
    open_layers = {layer.name for layer in base.layers if layer.trainable}
    assert open_layers == {"block3_conv", "block3_pool"}
    with pytest.raises(ValueError, match="blocks"):
        transfer.unfreeze_top_blocks(base, 4)


def test_block_of_reads_layer_names():
    class Named:
        def __init__(self, name):
            self.name = name

    assert transfer.block_of(Named("block5_conv3")) == 5
    assert transfer.block_of(Named("flatten")) is None
    assert transfer.block_of(Named("blockx_conv")) is None


# ------------------------------------------------------------------ digit transfer


@pytest.fixture(scope="module")
def digits():
    (x, y), (x_test, y_test) = data.REGISTRY["mnist"].bundle_loader(
        data.bundle_path("mnist")
    )
    return x, y, x_test, y_test


def test_split_digits_renumbers_and_balances(digits):
    x, y, _, _ = digits
    images, labels = transfer.split_digits(x, y, (5, 6, 7, 8, 9), per_class=50)
    assert images.shape == (250, 28, 28, 1) and images.dtype == np.float32
    assert np.bincount(labels).tolist() == [50] * 5
    assert 0.0 <= images.min() and images.max() <= 1.0
    with pytest.raises(ValueError, match="fewer than"):
        transfer.split_digits(x, y, (5,), per_class=10_000)


def test_the_transfer_learns_and_the_frozen_base_is_unchanged(digits):
    x, y, x_test, y_test = digits
    base = transfer.train_digit_base(x[:1500], y[:1500], epochs=2, seed=0)
    before = [w.copy() for w in transfer.features_of(base).get_weights()]
    (xs, ys), (xts, yts) = transfer.digit_transfer_data(x, y, x_test, y_test)
    results = {
        mode: transfer.transfer(base, xs, ys, xts, yts, mode, 1, steps=60, seed=0)
        for mode in transfer.MODES
    }
    for mode, result in results.items():
        assert result["accuracy"] > 0.6, (mode, result)  # chance is 0.2
        assert result["steps"] == 60, (mode, result)  # the same budget for every way
    assert results["frozen"]["trainable"] < results["fine-tune"]["trainable"]
    assert results["fine-tune"]["trainable"] < results["scratch"]["trainable"]
    after = transfer.features_of(base).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_fit_steps_takes_exactly_the_steps_asked_for(digits):
    x, y, _, _ = digits
    model = transfer.digit_base(10, seed=0)
    assert transfer.fit_steps(model, x[:7], y[:7], steps=5) == 5  # 7 images, 5 steps
    assert transfer.fit_steps(model, x[:100], y[:100], steps=3, batch_size=50) == 3
    assert int(model.optimizer.iterations) == 8
    with pytest.raises(ValueError, match="steps"):
        transfer.fit_steps(model, x[:7], y[:7], steps=0)


def test_with_head_adds_a_head_that_trains_alone_when_the_base_is_frozen():
    base = transfer.features_of(transfer.digit_base(seed=0))
    model = transfer.with_head(base, 3)
    assert model.output.shape[-1] == 3
    base.trainable = False
    assert transfer.trainable_parameters(model) == 3 * 3 * 64 * 3 + 3
    with pytest.raises(ValueError, match="num_classes"):
        transfer.with_head(base, 1)


def test_label_sweep_has_every_mode_count_and_seed(digits):
    x, y, x_test, y_test = digits
    base = transfer.train_digit_base(x[:600], y[:600], epochs=1, seed=0)
    lines = []
    sweep = transfer.label_sweep(
        base, x, y, x_test, y_test, (1, 3), steps=4, seeds=(0, 1),
        progress=lines.append,
    )  # fmt: skip
    assert sweep["per_class"] == [1, 3] and sweep["steps"] == 4
    assert len(lines) == 2 * 2 * 3
    for mode in transfer.MODES:
        runs = np.asarray(sweep["accuracy"][mode])
        assert runs.shape == (2, 2) and np.all((runs >= 0) & (runs <= 1))
    assert sweep["trainable"]["frozen"] < sweep["trainable"]["scratch"]
    transfer.check_transfer_results(
        {"labels": sweep, "vgg16_trainable": [0] * (transfer.VGG16_BLOCKS + 1)}
    )
    with pytest.raises(ValueError, match="mode"):
        transfer.label_sweep(base, x, y, x_test, y_test, (1,), 2, modes=("thaw",))


def test_summarize_sweep_means_sds_and_the_transfer_advantage():
    sweep = {
        "per_class": [2, 50],
        "accuracy": {
            "scratch": [[0.5, 0.7], [0.9, 0.9]],
            "frozen": [[0.8, 0.8], [0.8, 0.8]],
            "fine-tune": [[0.7, 0.9], [0.85, 0.87]],
        },
    }
    summary = transfer.summarize_sweep(sweep)
    assert summary["mean"]["scratch"] == pytest.approx([0.6, 0.9])
    assert summary["sd"]["fine-tune"][0] == pytest.approx(np.std([0.7, 0.9], ddof=1))
    assert summary["advantage"] == pytest.approx([0.2, -0.04])
    with pytest.raises(ValueError, match="one list of runs per label count"):
        transfer.summarize_sweep({"per_class": [2], "accuracy": sweep["accuracy"]})


def test_transfer_bad_input(digits):
    x, y, x_test, y_test = digits
    base = transfer.digit_base(seed=0)
    with pytest.raises(ValueError, match="mode"):
        transfer.transfer(base, x[:10], y[:10] % 5, x[:10], y[:10] % 5, "thaw")
    with pytest.raises(ValueError, match="steps"):
        transfer.transfer(base, x[:10], y[:10] % 5, x[:10], y[:10] % 5, steps=1)
    with pytest.raises(ValueError, match="the base takes"):
        transfer.transfer(base, np.zeros((4, 25, 25)), np.zeros(4, int), x[:4], y[:4])


def test_face_data_is_resized_to_the_digits():
    (x, y), (x_test, y_test) = transfer.face_transfer_data(40, seed=0)
    assert x.shape == (40, 28, 28, 1) and x_test.shape == (160, 28, 28, 1)
    assert sorted(set(y.tolist())) == [0, 1]


# ---------------------------------------------------------------- shipped results


def test_the_shipped_results_are_valid_and_match_the_counts():
    results = cl.data.load_transfer_results()
    assert results["vgg16_trainable"] == transfer.vgg16_trainable_by_blocks()
    sweep = results["labels"]
    assert sweep["per_class"] == list(transfer.LABELS_PER_CLASS)
    assert set(sweep["accuracy"]) == set(transfer.MODES)
    assert len(sweep["seeds"]) == 3 and sweep["steps"] == results["settings"]["steps"]


def test_the_shipped_sweep_shows_transfer_winning_with_few_labels_only():
    summary = transfer.summarize_sweep(cl.data.load_transfer_results()["labels"])
    advantage = summary["advantage"]
    assert advantage[0] > 0.03  # with 2 labels per class, transfer is clearly ahead
    assert advantage[-1] < advantage[0] - 0.03  # with 400, the lead is gone
    assert summary["mean"]["scratch"][-1] > 0.9  # scratch learns given the labels


def test_bad_results_are_refused():
    good = cl.data.load_transfer_results()
    with pytest.raises(ValueError, match="must have"):
        transfer.check_transfer_results({"digits": {}})
    broken = json.loads(json.dumps(good))
    broken["labels"]["accuracy"]["frozen"][0][0] = 1.5
    with pytest.raises(ValueError, match="from 0 to 1"):
        transfer.check_transfer_results(broken)
    broken = json.loads(json.dumps(good))
    broken["labels"]["accuracy"]["thaw"] = broken["labels"]["accuracy"]["frozen"]
    with pytest.raises(ValueError, match="modes from"):
        transfer.check_transfer_results(broken)


# ------------------------------------------------------- the online path, offline


def _tiny_cats_and_dogs() -> bytes:
    """A stand-in zip with the real layout: 2 cats and 2 dogs per part, 16x16 PNGs."""
    from PIL import Image

    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(buffer, "w") as zipped:
        for part in ("train", "validation"):
            for animal in ("cats", "dogs"):
                for i in range(2):
                    pixels = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
                    png = io.BytesIO()
                    Image.fromarray(pixels).save(png, format="PNG")
                    name = f"cats_and_dogs_filtered/{part}/{animal}/{i}.png"
                    zipped.writestr(name, png.getvalue())
    return buffer.getvalue()


def _point_at(monkeypatch, url, payload):
    entry = dataclasses.replace(
        data.REGISTRY["cats_vs_dogs"],
        urls=(url,),
        sha256=hashlib.sha256(payload).hexdigest(),
        size=len(payload),
    )
    monkeypatch.setitem(data.REGISTRY, "cats_vs_dogs", entry)


def test_the_registry_entry_is_the_tutorials_file():
    entry = data.REGISTRY["cats_vs_dogs"]
    assert entry.urls[0].endswith("mledu-datasets/cats_and_dogs_filtered.zip")
    assert entry.size == 68_606_236


def test_download_is_checked_cached_and_unpacked(cache, monkeypatch, server):
    payload = _tiny_cats_and_dogs()
    server.routes["/c.zip"] = payload
    _point_at(monkeypatch, f"{server.base}/c.zip", payload)
    folder = transfer.cats_vs_dogs_folder()
    assert sorted(p.name for p in (folder / "train").iterdir()) == ["cats", "dogs"]
    server.routes.clear()  # the second time comes from the cache
    assert transfer.cats_vs_dogs_folder() == folder


def test_a_corrupt_download_falls_back_in_one_sentence(cache, monkeypatch, server):
    payload = _tiny_cats_and_dogs()
    server.routes["/c.zip"] = payload[:-1] + b"x"
    _point_at(monkeypatch, f"{server.base}/c.zip", payload)
    ok, reason = transfer.online_lesson_available()
    assert not ok and "checksum mismatch" in reason
    assert not (cache / "cats_and_dogs_filtered.zip").exists()


def test_offline_switch_says_so(monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    assert transfer.online_lesson_available() == (False, "COURSE_OFFLINE is set")


def test_without_a_checksum_the_content_check_refuses_the_stand_in(
    cache, monkeypatch, server
):
    # The real entry has no published sha256: its content check wants 2,000 + 1,000
    # JPEG photos; the stand-in has 8 PNGs. (The size range is widened to let it in.)
    server.routes["/c.zip"] = _tiny_cats_and_dogs()
    entry = dataclasses.replace(
        data.REGISTRY["cats_vs_dogs"],
        urls=(f"{server.base}/c.zip",),
        size_range=(1, 10**8),
    )
    monkeypatch.setitem(data.REGISTRY, "cats_vs_dogs", entry)
    ok, reason = transfer.online_lesson_available()
    assert not ok and "wrong content" in reason and "not 1000" in reason
    assert not (cache / "cats_and_dogs_filtered.zip").exists()


def test_the_online_lesson_code_runs_on_the_stand_in(cache, monkeypatch, server):
    payload = _tiny_cats_and_dogs()
    server.routes["/c.zip"] = payload
    _point_at(monkeypatch, f"{server.base}/c.zip", payload)
    results = transfer.run_cats_vs_dogs(epochs=1, image_size=32, weights=None)
    assert set(results) == {"scratch", "frozen", "fine-tune"}
    assert all(0.0 <= a <= 1.0 for a in results.values())


# -- bad input (found by the old bad-input property table) --------------------------------------


@pytest.mark.parametrize("model", [None, "text", np.ones(3)])
def test_the_model_helpers_refuse_what_is_not_a_model(model):
    for helper in (
        transfer.count_blocks,
        transfer.features_of,
        transfer.network2,
        transfer.trainable_parameters,
    ):
        with pytest.raises(
            ValueError, match="must be a (Keras model|convolutional base|model built)"
        ):
            helper(model)
    with pytest.raises(ValueError, match="must be a Keras layer"):
        transfer.block_of(model)


def test_features_of_refuses_a_model_without_blocks():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="must have layers named block1_"):
        transfer.features_of(model)


@pytest.mark.parametrize("shape", [(10**5, 10**5, 3), (2, 2, 3), "text", (28, 28)])
def test_the_networks_refuse_huge_or_bad_input_shapes(shape):
    with pytest.raises(ValueError, match="input"):
        transfer.network1(shape)
    with pytest.raises(ValueError, match="input"):
        transfer.digit_base(5, shape)


def test_digit_base_refuses_a_huge_number_of_classes():
    with pytest.raises(ValueError, match="num_classes"):
        transfer.digit_base(10**9)


def test_split_digits_refuses_bad_classes_and_labels():
    x, y = np.zeros((4, 28, 28), np.uint8), np.array([0, 1, 0, 1])
    for classes in (None, (), (0, 0), ("a",)):
        with pytest.raises(ValueError, match="class"):
            transfer.split_digits(x, y, classes)
    with pytest.raises(ValueError, match="label"):
        transfer.split_digits(x, np.array(["a"] * 4), (0, 1))


def test_transfer_refuses_labels_that_would_make_a_huge_head():
    base = transfer.digit_base(5)
    x = np.zeros((4, 28, 28), np.uint8)
    with pytest.raises(ValueError, match="labels from 0"):
        transfer.transfer(base, x, np.array([0, 1, 2, 10**9]), x, np.arange(4))


@pytest.mark.parametrize(
    "results",
    [
        {"labels": {"per_class": 1, "accuracy": 1}, "vgg16_trainable": 1},
        {"labels": None, "vgg16_trainable": 1},
        {"labels": {"per_class": [2], "accuracy": {"frozen": [[0.5]]}},
         "vgg16_trainable": 1},
    ],
)  # fmt: skip
def test_check_transfer_results_refuses_entries_that_are_not_lists(results):
    with pytest.raises(ValueError, match="sweep must|must be a list"):
        transfer.check_transfer_results(results)


def test_load_transfer_results_refuses_a_folder_or_a_non_path(tmp_path):
    for path in (tmp_path, 3):
        with pytest.raises(
            ValueError,
            match=r"path must be a file name \(text or a pathlib.Path\) ending in .json",
        ):
            cl.data.load_transfer_results(path)


def test_train_digit_base_refuses_bad_callbacks_before_it_trains():
    x, y = np.zeros((4, 28, 28), np.uint8), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="callbacks"):
        transfer.train_digit_base(x, y, (0, 1), epochs=1, callbacks=[object()])


@pytest.mark.parametrize("folder", [True, b"\x00", "", " "])
def test_run_cats_vs_dogs_refuses_a_folder_that_is_not_a_path(folder):
    with pytest.raises(ValueError, match="folder must be a folder name"):
        transfer.run_cats_vs_dogs(epochs=1, folder=folder)


def test_run_cats_vs_dogs_refuses_a_folder_without_the_photos(tmp_path):
    (tmp_path / "train").mkdir()
    with pytest.raises(ValueError, match="validation missing"):
        transfer.run_cats_vs_dogs(epochs=1, folder=tmp_path)
