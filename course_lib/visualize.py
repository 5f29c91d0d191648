"""What a convnet sees (lecture 12): filter patterns, Grad-CAM and DeepDream.

Three ways to ask a trained network a question by gradients *with respect to the
input or to a feature map* (the weights never change):

- ``filter_pattern``: gradient ascent on the input image until one filter of one layer
  responds strongly (Chollet, *Deep Learning with Python*, ch. 5/9);
- ``grad_cam``: the class score's gradient with respect to the last convolution's
  feature maps, averaged per channel, weights a ReLU'd sum of the maps (Selvaraju et al.
  2017, "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
  Localization", ICCV, eq. 1-2);
- ``deep_dream``: gradient ascent on a photo to amplify a layer's activations, over a
  few octaves (Mordvintsev, Olah and Tyka 2015, "Inceptionism", Google Research blog;
  Chollet's Keras example ``deep_dream``).

Each works with the shipped MNIST convnet (``cl.models.pretrained("mnist_convnet")``)
and with ImageNet models from ``keras.applications`` (``imagenet_model``, online only).

Example::

    model = cl.models.pretrained("mnist_convnet")
    (_, _), (x_test, y_test) = cl.data.load_mnist()
    cam = cl.visualize.grad_cam(model, x_test[:4], "conv2")
    cam.heatmap.shape   # (4, 28, 28), each scaled to 0..1
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from course_lib.core import check_int, check_number, choose, show
from course_lib.images import to_unit_float

__all__ = [
    "Offline",
    "GradCam",
    "FilterPattern",
    "Dream",
    "feature_layers",
    "run_to",
    "filter_pattern",
    "grad_cam",
    "window_means",
    "occlude",
    "class_scores",
    "occlusion_check",
    "band_means",
    "saliency_map",
    "randomized_copy",
    "rank_correlation",
    "deep_dream",
    "imagenet_model",
]


class Offline(RuntimeError):
    """ImageNet weights are neither cached nor downloadable, or do not load."""


# --------------------------------------------------------------------------------------
# Running a model up to a layer
# --------------------------------------------------------------------------------------


def _check_model(model) -> None:
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model, got {show(model)}")


def feature_layers(model) -> list[str]:
    """Names of the convolution and pooling layers (their outputs are feature maps)."""
    _check_model(model)
    names = []
    for layer in model.layers:
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):
            continue
        kind = type(layer).__name__
        if len(shape) == 4 and ("Conv" in kind or "Pooling" in kind):
            names.append(layer.name)
    return names


def _value_range(value_range) -> tuple[float, float]:
    """``value_range`` as two finite numbers (low, high) with low < high."""
    try:
        low, high = (check_number(v, "value_range") for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"value_range must be two numbers (low, high), got {show(value_range)}"
        ) from None
    if not low < high:
        raise ValueError(f"value_range must have low < high, got {show(value_range)}")
    return low, high


def _is_softmax(layer) -> bool:
    import keras

    activation = getattr(layer, "activation", None)
    return activation is keras.activations.softmax or (
        getattr(activation, "__name__", "") == "softmax"
    )


def run_to(model, images, layer_names, scores: bool = False, linear: bool = False):
    """Run ``model`` on ``images`` (a tensor, N x H x W x C) and return the outputs of
    ``layer_names`` (a list of tensors), plus the class scores when ``scores=True``.

    The class score is the value *before* the softmax (the "logit" y^c of the Grad-CAM
    paper): for a last ``Dense`` layer with a softmax, its matrix product plus bias.
    A ``Sequential`` model is run layer by layer, so that its convolutions accept images
    of any size (DeepDream's octaves); a functional model through a sub-model.
    ``linear=True`` returns the convolutions' outputs before their activation (ReLU)
    in a ``Sequential`` model (a functional model gives them after it).
    """
    import keras
    import tensorflow as tf

    _check_model(model)
    if isinstance(layer_names, (str, bytes)) or not isinstance(
        layer_names, (list, tuple)
    ):
        raise ValueError(
            f"layer_names must be a list of names, got {show(layer_names)}"
        )
    if not (tf.is_tensor(images) or isinstance(images, tf.Variable)):
        array = np.asarray(images) if isinstance(images, np.ndarray) else None
        if array is None or array.dtype.kind not in "uif" or array.ndim != 4:
            raise ValueError(
                f"images must be an array or tensor (N, H, W, C), got {show(images)}"
            )
        images = tf.constant(array.astype(np.float32))
    names = list(layer_names)
    for name in names:
        choose(name, [layer.name for layer in model.layers], "layer")
    found: dict[str, object] = {}
    if isinstance(model, keras.Sequential):
        x = images
        last = model.layers[-1]
        for layer in model.layers:
            if not scores and len(found) == len(names):
                break
            if layer is last and scores and _is_softmax(layer):
                x = keras.ops.matmul(x, layer.kernel) + layer.bias
            elif linear and layer.name in names and hasattr(layer, "convolution_op"):
                before = layer.convolution_op(x, layer.kernel)
                before = before + layer.bias if layer.use_bias else before
                found[layer.name] = before
                x = layer.activation(before)
                continue
            else:
                x = layer(x, training=False)
            if layer.name in names:
                found[layer.name] = x
        outputs = [found[name] for name in names]
        return (outputs, x) if scores else outputs
    outputs = [model.get_layer(name).output for name in names]
    if scores:
        outputs.append(model.output)
    results = keras.Model(model.inputs, outputs)(images, training=False)
    results = list(results) if isinstance(results, (list, tuple)) else [results]
    return (results[:-1], results[-1]) if scores else results


def _as_batch(images, model, any_size: bool = False) -> np.ndarray:
    """Images as float32 (N, H, W, C) in 0..1 for ``model`` (digits gain a channel);
    their size must be the model's unless ``any_size``."""
    images = np.asarray(images)
    channels = model.input_shape[-1]
    if images.ndim == 2 or (images.ndim == 3 and images.shape[-1] == channels):
        images = images[None]  # one image: (H, W) or (H, W, C)
    if images.ndim == 3 and channels == 1:
        images = images[..., None]  # gray images (N, H, W)
    if images.ndim != 4 or images.shape[-1] != channels:
        raise ValueError(
            f"images must be shaped (N, H, W{', ' + str(channels) if channels > 1 else ''})"
            f" for this model, got {np.shape(images)}"
        )
    size = tuple(model.input_shape[1:3])
    if not any_size and None not in size and images.shape[1:3] != size:
        raise ValueError(
            f"images must be shaped (N, {size[0]}, {size[1]}) for this model, got "
            f"{np.shape(images)}"
        )
    return to_unit_float(images, "images").astype(np.float32)


# --------------------------------------------------------------------------------------
# Filter patterns by gradient ascent
# --------------------------------------------------------------------------------------


@dataclass
class FilterPattern:
    """The input that one filter likes: ``image`` (H, W, C), and at each step the
    filter's mean response before its ReLU (``responses``, what the ascent maximises)
    and after it (``activations``); index 0 is the starting noise."""

    layer: str
    filter_index: int
    image: np.ndarray
    responses: list[float] = field(default_factory=list)
    activations: list[float] = field(default_factory=list)


def filter_pattern(
    model,
    layer: str,
    filter_index: int,
    steps: int = 30,
    step_size: float = 1.0,
    size: tuple[int, int] | None = None,
    value_range: tuple[float, float] = (0.0, 1.0),
    seed: int = 0,
    centre: bool = False,
) -> FilterPattern:
    """Gradient ascent on the input to maximise one filter's mean activation.

    Start from gray noise; each step adds ``step_size`` times the gradient of the
    filter's mean response with respect to the image, normalised to unit L2 norm, and
    clips the image to ``value_range``. The model's weights are not touched. The
    response is taken before the ReLU (in a ``Sequential`` model), so that a filter
    silent on the noise still gets a gradient; ``activations`` are after the ReLU.
    ``centre=True`` maximises the response at the centre of the map only (one unit,
    which sees only its receptive field) instead of the mean over the map.
    """
    import tensorflow as tf

    _check_model(model)
    layer = choose(layer, feature_layers(model), "layer")
    channels = model.get_layer(layer).output.shape[-1]
    filter_index = check_int(filter_index, "filter_index", 0, channels - 1)
    steps = check_int(steps, "steps", 1, 10_000)
    step_size = check_number(step_size, "step_size", 1e-6, 1e6)
    shape = model.input_shape[1:3] if size is None else size
    if size is None and None in tuple(shape):
        raise ValueError("this model takes any image size: give size=(height, width)")
    try:
        shape = tuple(check_int(n, "size", 8, 1024) for n in shape)
    except TypeError:
        shape = ()
    if len(shape) != 2:
        raise ValueError(f"size must be (height, width), got {show(size)}")
    low, high = _value_range(value_range)
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    middle, spread = (low + high) / 2, (high - low) / 10
    start = middle + rng.uniform(-spread, spread, (1, *shape, model.input_shape[-1]))
    image = tf.Variable(start.astype(np.float32))
    activation = model.get_layer(layer).activation if "Conv" in type(
        model.get_layer(layer)).__name__ else (lambda x: x)  # fmt: skip
    responses, activations = [], []
    for _ in range(steps + 1):
        with tf.GradientTape() as tape:
            (maps,) = run_to(model, image, [layer], linear=True)
            if centre:
                maps = maps[:, maps.shape[1] // 2, maps.shape[2] // 2][:, None, None]
            loss = tf.reduce_mean(maps[..., filter_index])
        responses.append(float(loss))
        activations.append(float(tf.reduce_mean(activation(maps[..., filter_index]))))
        if len(responses) == steps + 1:
            break
        gradient = tape.gradient(loss, image)
        gradient = gradient / (tf.norm(gradient) + 1e-8)  # a step of fixed length
        image.assign(tf.clip_by_value(image + step_size * gradient, low, high))
    return FilterPattern(layer, filter_index, image.numpy()[0], responses, activations)


# --------------------------------------------------------------------------------------
# Grad-CAM
# --------------------------------------------------------------------------------------


@dataclass
class GradCam:
    """Grad-CAM of N images: ``classes`` (N,), ``scores`` (N,) the class scores,
    ``maps`` (N, h, w, K) the feature maps A^k, ``gradients`` (N, h, w, K) of the score,
    ``weights`` (N, K) the channel weights alpha_k, ``cam`` (N, h, w) the ReLU'd
    weighted sum, ``heatmap`` (N, H, W) the cam upsampled to the input and scaled to 0..1
    (an all-zero cam stays zero)."""

    layer: str
    classes: np.ndarray
    scores: np.ndarray
    maps: np.ndarray
    gradients: np.ndarray
    weights: np.ndarray
    cam: np.ndarray
    heatmap: np.ndarray


def grad_cam(model, images, layer: str | None = None, classes=None) -> GradCam:
    """Grad-CAM (Selvaraju et al. 2017) of ``images`` for ``classes``, at ``layer``.

    ``layer`` defaults to the last feature-map layer; ``classes`` (one int, or one per
    image) to the predicted class. Written out:

    1. run the model, keeping the feature maps A (N, h, w, K) and the class scores y;
    2. the gradients dy^c/dA by the tape;
    3. alpha_k = the mean of the gradient over the h x w positions (eq. 1);
    4. cam = ReLU(sum_k alpha_k A^k) (eq. 2);
    5. upsample bilinearly to the input size and scale each to 0..1 for display.
    """
    _check_model(model)
    batch = _as_batch(images, model)
    names = feature_layers(model)
    if not names:
        raise ValueError("the model has no layer with feature maps")
    layer = names[-1] if layer is None else choose(layer, names, "layer")
    if classes is not None:
        classes = _check_classes(classes, len(batch), model.output_shape[-1])
    # In chunks: the tape holds every layer's activations of what it runs, and lecture
    # 12's 1,000 digits in one pass raised the kernel's peak memory by about 0.45 GB.
    parts = [
        _grad_cam_chunk(
            model,
            batch[start : start + GRAD_CAM_CHUNK],
            layer,
            None if classes is None else classes[start : start + GRAD_CAM_CHUNK],
        )
        for start in range(0, max(len(batch), 1), GRAD_CAM_CHUNK)
    ]
    return GradCam(
        layer, *(np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    )


GRAD_CAM_CHUNK = 128
"""Images per pass of ``grad_cam``: the peak memory is the chunk's, not the batch's."""


def _grad_cam_chunk(model, batch: np.ndarray, layer: str, classes) -> tuple:
    import tensorflow as tf

    x = tf.constant(batch)
    with tf.GradientTape() as tape:
        (maps,), scores = run_to(model, x, [layer], scores=True)
        chosen = (
            tf.argmax(scores, axis=-1, output_type=tf.int32)
            if classes is None
            else classes
        )
        picked = tf.gather(scores, chosen, axis=1, batch_dims=1)
        total = tf.reduce_sum(picked)  # each image's score depends on its maps only
    gradients = tape.gradient(total, maps)
    weights = tf.reduce_mean(gradients, axis=(1, 2))  # alpha_k: average-pooled
    cam = tf.nn.relu(tf.einsum("nhwk,nk->nhw", maps, weights))
    upsampled = tf.image.resize(cam[..., None], batch.shape[1:3], "bilinear")[..., 0]
    peak = tf.reduce_max(upsampled, axis=(1, 2), keepdims=True)
    heatmap = tf.math.divide_no_nan(upsampled, peak)
    return (
        np.asarray(chosen),
        np.asarray(picked),
        maps.numpy(),
        gradients.numpy(),
        weights.numpy(),
        cam.numpy(),
        heatmap.numpy(),
    )


def _check_classes(classes, count: int, num_classes: int):
    import tensorflow as tf

    array = np.asarray(classes)
    if array.ndim == 0:
        array = np.full(count, array)
    if array.shape != (count,) or array.dtype.kind not in "iu":
        raise ValueError(
            f"classes must be one int or one int per image ({count}), got {show(classes)}"
        )
    if array.min() < 0 or array.max() >= num_classes:
        raise ValueError(f"classes must be from 0 to {num_classes - 1}, got {array}")
    return tf.constant(array.astype(np.int32))


def class_scores(model, images) -> np.ndarray:
    """The class scores before the softmax, (N, classes)."""
    import tensorflow as tf

    _check_model(model)
    batch = _as_batch(images, model)
    if not len(batch):
        _, scores = run_to(model, tf.constant(batch), [], scores=True)
        return np.asarray(scores)
    return np.concatenate(
        [
            np.asarray(run_to(model, tf.constant(chunk), [], scores=True)[1])
            for chunk in np.array_split(batch, -(-len(batch) // GRAD_CAM_CHUNK))
        ]
    )


def window_means(heatmap: np.ndarray, size: int) -> np.ndarray:
    """Mean of every ``size`` x ``size`` window of a 2-D map, (H-size+1, W-size+1)."""
    heatmap = np.asarray(heatmap, dtype=np.float64)
    if heatmap.ndim != 2:
        raise ValueError(f"heatmap must be 2-D, got shape {heatmap.shape}")
    size = check_int(size, "size", 1, min(heatmap.shape))
    total = np.pad(heatmap.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = (
        total[size:, size:]
        - total[:-size, size:]
        - total[size:, :-size]
        + total[:-size, :-size]
    )
    return sums / size**2


def occlude(image: np.ndarray, corner: tuple[int, int], size: int, value=0.0):
    """A copy of ``image`` with the ``size`` x ``size`` square at ``corner`` set to
    ``value`` (0 is the background of a digit: the ink there is erased)."""
    try:
        covered = np.array(image, dtype=np.float32, copy=True)
    except (TypeError, ValueError):
        covered = np.array([])
    if covered.ndim not in (2, 3) or covered.size == 0:
        raise ValueError(f"image must be (H, W) or (H, W, C), got {show(image)}")
    try:
        row, column = (check_int(n, "corner", 0) for n in corner)
    except (TypeError, ValueError):
        raise ValueError(
            f"corner must be two ints >= 0 (row, column), got {show(corner)}"
        ) from None
    size = check_int(size, "size", 1)
    value = check_number(value, "value")
    covered[row : row + size, column : column + size] = value
    return covered


def occlusion_check(
    model, images, heatmaps, classes, size: int = 6, min_ink: float = 0.1
) -> dict[str, np.ndarray]:
    """Erase the hottest and the coldest ``size`` x ``size`` square of each heatmap among
    the squares with some ink (mean ink >= ``min_ink``) and measure the class score.

    Returns ``{"score", "hot", "cold"}``: the scores before and after each erasure (N,).
    A faithful heatmap makes ``score - hot`` larger than ``score - cold``.
    """
    _check_model(model)
    images = to_unit_float(images, "images")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"images must be gray, (N, H, W), got shape {images.shape}")
    try:
        heatmaps = np.asarray(heatmaps, dtype=np.float64)
    except (TypeError, ValueError):
        heatmaps = None
    if heatmaps is None or heatmaps.shape != images.shape:
        raise ValueError(f"heatmaps must be one per image, shaped {images.shape}")
    classes = np.asarray(classes)
    if classes.ndim == 0:
        classes = np.full(len(images), classes)
    if classes.shape != (len(images),) or classes.dtype.kind not in "iu":
        raise ValueError(
            f"classes must be one int, or one int per image ({len(images)})"
        )
    size = check_int(size, "size", 1, min(images.shape[1:]))
    min_ink = check_number(min_ink, "min_ink")
    num_classes = model.output_shape[-1]
    if classes.min() < 0 or classes.max() >= num_classes:
        raise ValueError(f"classes must be from 0 to {num_classes - 1}")
    hot_images, cold_images = [], []
    for image, heatmap in zip(images, heatmaps, strict=True):
        heat = window_means(heatmap, size)
        inked = window_means(image, size) >= min_ink
        if not inked.any():
            inked = np.ones_like(inked)
        hottest = np.unravel_index(np.where(inked, heat, -np.inf).argmax(), heat.shape)
        coldest = np.unravel_index(np.where(inked, heat, np.inf).argmin(), heat.shape)
        hot_images.append(occlude(image, hottest, size))
        cold_images.append(occlude(image, coldest, size))
    rows = np.arange(len(images))
    return {
        "score": class_scores(model, images)[rows, classes],
        "hot": class_scores(model, np.stack(hot_images))[rows, classes],
        "cold": class_scores(model, np.stack(cold_images))[rows, classes],
    }


def _real_array(values) -> np.ndarray:
    """``values`` as float64, or an empty array when they are not real numbers."""
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):
        return np.array([])
    if array.dtype.kind not in "uif":
        return np.array([])
    return array.astype(np.float64)


def band_means(heatmaps, bands: dict) -> dict[str, float]:
    """The mean of ``heatmaps`` (N, H, W) over each band of rows: ``bands`` maps a name
    to ``(first_row, stop_row)``, e.g. ``{"eyes": (8, 13)}``. Returns name -> mean."""
    maps = _real_array(heatmaps)
    if maps.ndim != 3 or maps.size == 0 or not np.isfinite(maps).all():
        raise ValueError(
            f"heatmaps must be finite maps (N, H, W), got {show(heatmaps)}"
        )
    if not isinstance(bands, dict) or not bands:
        raise ValueError(
            f"bands must be a dict name -> (first_row, stop_row), got {show(bands)}"
        )
    means = {}
    for name, rows in bands.items():
        try:
            first, stop = (check_int(n, "band rows", 0, maps.shape[1]) for n in rows)
        except (TypeError, ValueError):
            first, stop = 0, 0
        if not first < stop:
            raise ValueError(
                f"band {name!r} must be rows (first, stop) with 0 <= first < stop <= "
                f"{maps.shape[1]}, got {show(rows)}"
            )
        means[name] = float(maps[:, first:stop].mean())
    return means


def saliency_map(model, images, classes=None, absolute: bool = True) -> np.ndarray:
    """The plain saliency map (Simonyan, Vedaldi and Zisserman 2014): the gradient of
    the class score (before the softmax) with respect to each input pixel, (N, H, W).

    ``classes`` defaults to the predicted class. ``absolute=True`` takes the largest
    absolute value over the colour channels (the paper's map); ``absolute=False`` keeps
    the sign (summed over channels): positive where more brightness raises the score.
    """
    import tensorflow as tf

    _check_model(model)
    batch = _as_batch(images, model)
    if not isinstance(absolute, (bool, np.bool_)):
        raise ValueError(f"absolute must be True or False, got {show(absolute)}")
    if classes is not None:
        classes = _check_classes(classes, len(batch), model.output_shape[-1])
    parts = []
    for start in range(0, len(batch), GRAD_CAM_CHUNK):
        x = tf.constant(batch[start : start + GRAD_CAM_CHUNK])
        with tf.GradientTape() as tape:
            tape.watch(x)
            _, scores = run_to(model, x, [], scores=True)
            chosen = (
                tf.argmax(scores, axis=-1, output_type=tf.int32)
                if classes is None
                else classes[start : start + GRAD_CAM_CHUNK]
            )
            total = tf.reduce_sum(tf.gather(scores, chosen, axis=1, batch_dims=1))
        gradient = tape.gradient(total, x).numpy()
        parts.append(
            np.abs(gradient).max(axis=-1) if absolute else gradient.sum(axis=-1)
        )
    if not parts:
        return np.zeros(batch.shape[:3], np.float32)
    return np.concatenate(parts).astype(np.float32)


def randomized_copy(model, seed: int = 0):
    """A copy of ``model`` with the same layers and fresh random weights, drawn by each
    layer's own initializer from ``seed``: the model-randomisation test of Adebayo et al.
    2018 ("Sanity Checks for Saliency Maps"). ``model`` itself is not changed."""
    import keras

    from course_lib.core import set_seed

    _check_model(model)
    seed = check_int(seed, "seed", 0)
    set_seed(seed)
    copy = keras.models.clone_model(model)
    copy.build(model.input_shape)
    return copy


def rank_correlation(maps_a, maps_b) -> np.ndarray:
    """Spearman's rank correlation between each pair of maps (N, H, W) (ties get their
    mean rank), one value per pair in -1..1; a constant map correlates 0 with anything.
    Adebayo et al. 2018 compare saliency maps this way."""
    from scipy.stats import rankdata

    arrays = []
    for name, maps in (("maps_a", maps_a), ("maps_b", maps_b)):
        array = _real_array(maps)
        if array.ndim < 2 or array.size == 0 or not np.isfinite(array).all():
            raise ValueError(f"{name} must be finite maps (N, H, W), got {show(maps)}")
        arrays.append(array.reshape(len(array), -1))
    a, b = arrays
    if a.shape != b.shape:
        raise ValueError(
            f"maps_a and maps_b must have the same shape, got {np.shape(maps_a)} and "
            f"{np.shape(maps_b)}"
        )
    ra = rankdata(a, axis=1) - (a.shape[1] + 1) / 2
    rb = rankdata(b, axis=1) - (b.shape[1] + 1) / 2
    norm = np.sqrt((ra**2).sum(1) * (rb**2).sum(1))
    return np.where(norm > 0, (ra * rb).sum(1) / np.where(norm > 0, norm, 1), 0.0)


# --------------------------------------------------------------------------------------
# DeepDream
# --------------------------------------------------------------------------------------


@dataclass
class Dream:
    """The dreamed ``image`` and the loss before and after the steps of each octave
    (``losses[i] = (first, last)``), with the octave sizes."""

    image: np.ndarray
    losses: list[tuple[float, float]]
    sizes: list[tuple[int, int]]


def _dream_loss(model, image, layers: dict[str, float]):
    import tensorflow as tf

    outputs = run_to(model, image, list(layers))
    loss = 0.0
    for weight, maps in zip(layers.values(), outputs, strict=True):
        border = 2 if min(maps.shape[1:3]) > 8 else 0  # as Chollet: skip the edges
        inner = maps[
            :, border : maps.shape[1] - border, border : maps.shape[2] - border
        ]
        loss = loss + weight * tf.reduce_mean(tf.square(inner))
    return loss


MAX_DREAM_SIDE = 512
"""The largest image side ``deep_dream`` takes (its feature maps grow with the image)."""


def deep_dream(
    model,
    image,
    layers: dict[str, float],
    steps: int = 20,
    step_size: float = 0.01,
    octaves: int = 3,
    octave_scale: float = 1.4,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> Dream:
    """DeepDream: gradient ascent on ``image`` to amplify ``layers``' activations.

    The loss is the weighted mean square of each layer's activations. The image is
    processed at ``octaves`` sizes, smallest first, each ``octave_scale`` times larger;
    after each octave the detail lost by shrinking is put back (as in Chollet's
    example). Each step adds ``step_size`` times the L2-normalised gradient.
    """
    import tensorflow as tf

    _check_model(model)
    named = feature_layers(model)
    if not isinstance(layers, dict) or not layers:
        raise ValueError(
            "layers must be a dict {layer name: weight}, e.g. {'conv2': 1}"
        )
    layers = {
        choose(name, named, "layer"): check_number(w, "a layer's weight")
        for name, w in layers.items()
    }
    steps = check_int(steps, "steps", 1, 10_000)
    octaves = check_int(octaves, "octaves", 1, 10)
    step_size = check_number(step_size, "step_size", 1e-6, 1e3)
    octave_scale = check_number(octave_scale, "octave_scale", 1.01, 4.0)
    low, high = _value_range(value_range)
    if (low, high) == (0.0, 1.0):
        original = _as_batch(image, model, any_size=True)[:1]
    else:  # a network that wants other pixel values, e.g. InceptionV3's -1..1
        array = np.asarray(image, dtype=np.float64)
        if not np.all(np.isfinite(array)) or array.min() < low or array.max() > high:
            raise ValueError(
                f"image values must be finite and within value_range {low:g}..{high:g}"
            )
        original = (
            _as_batch((array - low) / (high - low), model, any_size=True)[:1]
            * (high - low)
            + low
        )
    height, width = original.shape[1:3]
    if max(height, width) > MAX_DREAM_SIDE:
        raise ValueError(
            f"the image is {height}x{width}; DeepDream takes sides of at most "
            f"{MAX_DREAM_SIDE} pixels (resize it first)"
        )
    sizes = [
        (round(height / octave_scale**i), round(width / octave_scale**i))
        for i in reversed(range(octaves))
    ]
    if min(sizes[0]) < 16:
        raise ValueError(
            f"the smallest octave {sizes[0]} is too small; use a larger image or fewer "
            "octaves"
        )
    shrunk = tf.image.resize(original, sizes[0])
    current = tf.Variable(shrunk)
    losses = []
    for size in sizes:
        current = tf.Variable(tf.image.resize(current, size))
        first = None
        for _ in range(steps):
            with tf.GradientTape() as tape:
                loss = _dream_loss(model, current, layers)
            first = float(loss) if first is None else first
            gradient = tf.math.l2_normalize(tape.gradient(loss, current))
            current.assign(tf.clip_by_value(current + step_size * gradient, low, high))
        losses.append((first, float(_dream_loss(model, current, layers))))
        lost_detail = tf.image.resize(original, size) - tf.image.resize(shrunk, size)
        current.assign(tf.clip_by_value(current + lost_detail, low, high))
        shrunk = tf.image.resize(original, size)
    return Dream(current.numpy()[0], losses, sizes)


# --------------------------------------------------------------------------------------
# ImageNet models (online)
# --------------------------------------------------------------------------------------

IMAGENET_MODELS = {
    "vgg16": ("VGG16", "vgg16_imagenet"),
    "inception_v3": ("InceptionV3", "inception_v3_notop_imagenet"),
}
"""Model name -> (``keras.applications`` builder, ``cl.data`` registry entry of its weights)."""


def imagenet_model(name: str = "vgg16", **kwargs):
    """A ``keras.applications`` model with ImageNet weights (cached or downloaded).

    ``vgg16`` comes with its classifier and ``classifier_activation=None`` (class scores
    before the softmax, for Grad-CAM); ``inception_v3`` without its top (DeepDream). The
    weight file comes through ``cl.data.fetch`` (Keras' own URL and md5, checked, cached,
    never left half-written); raises ``Offline`` with one plain reason when it cannot be
    had (no network, a bad download) or does not load.
    """
    import keras

    from course_lib import data

    name = choose(name, list(IMAGENET_MODELS), "ImageNet model")
    builder, entry = IMAGENET_MODELS[name]
    try:
        weights = data.fetch(entry)
    except data.DownloadError as error:
        raise Offline(f"no ImageNet weights for {name}: {error}") from None
    options = (
        {"classifier_activation": None} if name == "vgg16" else {"include_top": False}
    )
    options.update(kwargs)
    try:
        return getattr(keras.applications, builder)(weights=str(weights), **options)
    except Exception as error:  # noqa: BLE001 - any failure: the file does not load
        raise Offline(
            f"the {name} weights in {weights} could not be loaded "
            f"({type(error).__name__}: {str(error).splitlines()[0][:200]})"
        ) from None
