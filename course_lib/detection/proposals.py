"""Region proposals by selective search, as Uijlings et al. describe it (2013,
"Selective Search for Object Recognition", IJCV 104): a Felzenszwalb over-segmentation
(``skimage.segmentation.felzenszwalb``), then greedy hierarchical grouping by colour,
texture, size and fill similarity, in several colour spaces.

Photos are RGB (H, W, 3), uint8 0-255 or float 0-1 (the same photo gives the same
proposals either way); boxes are (y0, x0, y1, x1) in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from course_lib.core import SEED, Array, Choice, Int, Items, Number, checked
from course_lib.detection._checks import PHOTO

MAX_REGIONS = 2_000
"""The most initial regions the grouping takes: its time grows with their square (about
1 s for 2,000 regions per colour space; 12,000 would take minutes)."""

COLOUR_SPACES = ("rgb", "hsv", "lab")
SIMILARITIES = ("colour", "texture", "size", "fill")
COLOUR_BINS = 25  # per channel, as in Uijlings et al. (2013), section 3.2
TEXTURE_BINS = 10  # per orientation and channel
ORIENTATIONS = 8


def _to_colour_space(image: np.ndarray, space: str) -> np.ndarray:
    """The image in ``space``, each channel scaled to 0..1."""
    from skimage import color

    rgb = image.astype(np.float64) / 255.0
    if space == "rgb":
        return rgb
    if space == "hsv":
        return color.rgb2hsv(rgb)
    lab = color.rgb2lab(rgb)
    return np.stack(
        [lab[..., 0] / 100, (lab[..., 1] + 128) / 255, (lab[..., 2] + 128) / 255], -1
    )


def _texture_codes(channels: np.ndarray) -> np.ndarray:
    """For every pixel and channel, the bin of (orientation, gradient size): an int
    array (H, W, C) of codes in 0 .. ORIENTATIONS * TEXTURE_BINS - 1.

    A simplification of the paper's Gaussian derivatives (sigma 1, eight orientations,
    ten bins): Sobel gradients after a Gaussian blur, binned by direction and size.
    """
    from scipy import ndimage

    codes = np.empty(channels.shape, np.int64)
    for c in range(channels.shape[-1]):
        smooth = ndimage.gaussian_filter(channels[..., c], 1.0)
        gy = ndimage.sobel(smooth, axis=0)
        gx = ndimage.sobel(smooth, axis=1)
        angle = np.mod(np.arctan2(gy, gx), 2 * np.pi)
        direction = np.minimum(
            (angle / (2 * np.pi) * ORIENTATIONS).astype(np.int64), ORIENTATIONS - 1
        )
        magnitude = np.hypot(gx, gy)
        magnitude = magnitude / (magnitude.max() + 1e-12)
        size = np.minimum((magnitude * TEXTURE_BINS).astype(np.int64), TEXTURE_BINS - 1)
        codes[..., c] = direction * TEXTURE_BINS + size
    return codes


def _histograms(labels, values, bins, count) -> np.ndarray:
    """Per region, per channel histograms of integer ``values`` in 0..bins-1, each
    region's row L1-normalised (rows: regions, columns: channel-major bins)."""
    channels = values.shape[-1]
    flat_labels = labels.ravel()
    rows = []
    for c in range(channels):
        index = flat_labels * bins + values[..., c].ravel()
        rows.append(np.bincount(index, minlength=count * bins).reshape(count, bins))
    hist = np.concatenate(rows, axis=1).astype(np.float64)
    return hist / np.maximum(hist.sum(axis=1, keepdims=True), 1e-12)


@dataclass
class Region:
    """One region of the hierarchy: its box, size (pixels), histograms and the step of
    the grouping at which it was made (0 for the initial regions)."""

    box: tuple[int, int, int, int]
    size: int
    colour: np.ndarray = field(repr=False)
    texture: np.ndarray = field(repr=False)
    step: int = 0


@dataclass
class Grouping:
    """What ``group_regions`` returns.

    ``regions``: every region in the order made (the initial ones first, then one per
    merge); ``merges``: (i, j, similarity) per step; ``labels``: the initial
    segmentation; ``boxes`` (N, 4): each region's box, in the order made.
    """

    regions: list[Region]
    merges: list[tuple[int, int, float]]
    labels: np.ndarray = field(repr=False)

    @property
    def boxes(self) -> np.ndarray:
        return np.array([r.box for r in self.regions], dtype=np.float64).reshape(-1, 4)


@checked(
    image=PHOTO,
    scale=Number(0, 100_000, positive=True),
    sigma=Number(0, 100),
    min_size=Int(1, 10**6),
)
def initial_regions(
    image: np.ndarray, scale: float = 100, sigma: float = 0.8, min_size: int = 50
) -> np.ndarray:
    """Felzenszwalb and Huttenlocher's (2004) graph-based over-segmentation, from
    scikit-image: an int label image (H, W), labels 0..n-1.

    A larger ``scale`` or ``min_size`` (pixels) gives fewer, larger regions.
    """
    from skimage.segmentation import felzenszwalb

    labels = felzenszwalb(image, scale=scale, sigma=sigma, min_size=min_size)
    _, labels = np.unique(labels, return_inverse=True)
    return labels.reshape(image.shape[:2])


def _adjacent_pairs(labels: np.ndarray) -> set[tuple[int, int]]:
    """Pairs (i < j) of labels that touch (4-neighbourhood)."""
    pairs = set()
    for a, b in (
        (labels[:, :-1], labels[:, 1:]),
        (labels[:-1, :], labels[1:, :]),
    ):
        differ = a != b
        low = np.minimum(a[differ], b[differ])
        high = np.maximum(a[differ], b[differ])
        pairs.update(zip(low.tolist(), high.tolist(), strict=True))
    return pairs


def _similarity(a: Region, b: Region, image_size: int, use) -> float:
    """Sum of the chosen similarities, each in 0..1 (Uijlings et al. 2013, eq. 1-5)."""
    total = 0.0
    if "colour" in use:  # histogram intersection
        total += float(np.minimum(a.colour, b.colour).sum() / (a.colour.sum() or 1))
    if "texture" in use:
        total += float(np.minimum(a.texture, b.texture).sum() / (a.texture.sum() or 1))
    if "size" in use:  # small regions merge first
        total += 1.0 - (a.size + b.size) / image_size
    if "fill" in use:  # regions whose joint box they fill well merge first
        box = _union_box(a.box, b.box)
        box_size = (box[2] - box[0]) * (box[3] - box[1])
        total += 1.0 - (box_size - a.size - b.size) / image_size
    return total


def _union_box(a, b) -> tuple[int, int, int, int]:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _merge(a: Region, b: Region, step: int) -> Region:
    size = a.size + b.size
    return Region(
        box=_union_box(a.box, b.box),
        size=size,
        colour=(a.size * a.colour + b.size * b.colour) / size,
        texture=(a.size * a.texture + b.size * b.texture) / size,
        step=step,
    )


@checked(
    image=PHOTO,
    labels=Array(ndim=2, dtype="int", what="a label image (H, W)"),
    colour_space=Choice(*COLOUR_SPACES),
    similarities=Items(Choice(*SIMILARITIES), max_length=len(SIMILARITIES)),
)
def group_regions(
    image: np.ndarray,
    labels: np.ndarray,
    colour_space: str = "hsv",
    similarities=SIMILARITIES,
) -> Grouping:
    """Selective search's greedy grouping of an over-segmentation ``labels`` (H, W).

    Repeat until one region is left: find the two *adjacent* regions that are most
    similar (``_similarity``: a sum of the chosen ``similarities``), merge them into
    one (its histograms are the size-weighted mean of theirs, its box the union), and
    give the new region the neighbours of both. At most ``MAX_REGIONS`` regions.
    """
    if labels.shape != image.shape[:2]:
        raise ValueError(
            f"labels must be shaped like the image {image.shape[:2]}, got "
            f"{labels.shape}"
        )
    use = tuple(dict.fromkeys(similarities))
    regions_in = len(np.unique(labels))
    if regions_in > MAX_REGIONS:
        raise ValueError(
            f"labels hold {regions_in:,} regions, at most {MAX_REGIONS:,} can be "
            "grouped (make fewer: a larger scale or min_size in initial_regions)"
        )
    space = colour_space
    _, labels = np.unique(labels, return_inverse=True)
    labels = labels.reshape(image.shape[:2])
    count = int(labels.max()) + 1
    channels = _to_colour_space(image, space)
    colour_values = np.minimum(
        (channels * COLOUR_BINS).astype(np.int64), COLOUR_BINS - 1
    )
    colour = _histograms(labels, colour_values, COLOUR_BINS, count)
    texture = _histograms(
        labels, _texture_codes(channels), ORIENTATIONS * TEXTURE_BINS, count
    )
    sizes = np.bincount(labels.ravel(), minlength=count)
    rows, cols = np.indices(labels.shape)
    flat = labels.ravel()
    y0 = np.full(count, labels.shape[0])
    x0 = np.full(count, labels.shape[1])
    np.minimum.at(y0, flat, rows.ravel())
    np.minimum.at(x0, flat, cols.ravel())
    y1 = np.zeros(count, np.int64)
    x1 = np.zeros(count, np.int64)
    np.maximum.at(y1, flat, rows.ravel() + 1)
    np.maximum.at(x1, flat, cols.ravel() + 1)
    regions = [
        Region(
            (int(y0[i]), int(x0[i]), int(y1[i]), int(x1[i])),
            int(sizes[i]),
            colour[i],
            texture[i],
        )
        for i in range(count)
    ]
    image_size = labels.size
    neighbours: dict[int, set[int]] = {i: set() for i in range(count)}
    similarity: dict[tuple[int, int], float] = {}
    for i, j in _adjacent_pairs(labels):
        neighbours[i].add(j)
        neighbours[j].add(i)
        similarity[(i, j)] = _similarity(regions[i], regions[j], image_size, use)
    merges = []
    while similarity:
        (i, j), value = max(similarity.items(), key=lambda item: (item[1], item[0]))
        new = len(regions)
        regions.append(_merge(regions[i], regions[j], len(merges) + 1))
        merges.append((i, j, value))
        around = (neighbours.pop(i) | neighbours.pop(j)) - {i, j}
        for k in list(similarity):
            if i in k or j in k:
                del similarity[k]
        neighbours[new] = around
        for k in around:
            neighbours[k] -= {i, j}
            neighbours[k].add(new)
            similarity[(k, new)] = _similarity(
                regions[k], regions[new], image_size, use
            )
    return Grouping(regions, merges, labels)


@checked(
    image=PHOTO,
    colour_spaces=Items(Choice(*COLOUR_SPACES), max_length=len(COLOUR_SPACES)),
    scales=Items(Number(0, 100_000, positive=True), max_length=5),
    max_side=Int(16, 4096),
    min_size=Int(1, 10**6),
    seed=SEED,
)
def selective_search(
    image: np.ndarray,
    colour_spaces=("rgb", "hsv", "lab"),
    scales=(100,),
    max_side: int = 128,
    min_size: int = 30,
    seed: int = 0,
) -> np.ndarray:
    """Region proposals for ``image`` (H, W, 3), as boxes (N, 4) in its pixels.

    The photo is shrunk so that its longer side is ``max_side`` (fast; set it to the
    image's size to work at full resolution). For each Felzenszwalb scale in ``scales``
    (a list) and each colour space, the regions are grouped with all four
    similarities; the boxes of all the hierarchies are pooled, ranked as Uijlings et al.
    do (a region's place in its hierarchy, counted from the top, times a seeded random
    number in 0..1, smallest first) and duplicates are dropped.

    Settings that cut the shrunk photo into more than ``MAX_REGIONS`` initial regions
    (a small scale with a small ``min_size``) are refused: their grouping would take
    minutes.
    """
    from skimage.transform import resize

    colour_spaces = tuple(dict.fromkeys(colour_spaces))
    factor = min(1.0, max_side / max(image.shape[:2]))
    small = image
    if factor < 1:
        shape = (
            max(2, round(image.shape[0] * factor)),
            max(2, round(image.shape[1] * factor)),
        )
        small = (
            (resize(image, shape, anti_aliasing=True) * 255).round().astype(np.uint8)
        )
    rng = np.random.default_rng(seed)
    boxes, ranks = [], []
    for scale in scales:
        labels = initial_regions(small, scale=scale, min_size=min_size)
        count = int(labels.max()) + 1
        if count > MAX_REGIONS:
            raise ValueError(
                f"scale {scale:g} with min_size {min_size} cuts the photo (at "
                f"{small.shape[0]} x {small.shape[1]} pixels) into {count:,} regions, "
                f"at most {MAX_REGIONS:,} can be grouped: raise min_size or the "
                "scale, or lower max_side"
            )
        for space in colour_spaces:
            grouping = group_regions(small, labels, space)
            made = grouping.boxes
            # position in the hierarchy counted from the top: the last merge is 1
            place = np.arange(len(made), 0, -1, dtype=np.float64)
            boxes.append(made)
            ranks.append(place * rng.random(len(made)))
    boxes = np.concatenate(boxes)
    order = np.argsort(np.concatenate(ranks), kind="stable")
    scale_back = np.array(
        [
            image.shape[0] / small.shape[0],
            image.shape[1] / small.shape[1],
        ]
        * 2
    )
    boxes = np.round(boxes[order] * scale_back)
    _, first = np.unique(boxes, axis=0, return_index=True)
    return boxes[np.sort(first)]
