"""Exercises of lecture 11 (transfer learning): what VGG16 hands the head on 128x128
photos, what fine-tuning block 5 trains there, how often an equal step budget shows
each image, and a correct freezing function."""

from __future__ import annotations

from course_lib.exercises import Wrong, exercise

SIZE = 128
"""The photo side of exercises 11.1 and 11.2 (the notebook counts at 64)."""


def _flattened_vgg16_features():
    """Length of VGG16's flattened output (no top) on 128x128x3, from a built model."""
    from course_lib.transfer import vgg16_base
    from course_lib.zoo import release, shapes_only

    with shapes_only():
        shape = vgg16_base(None, (SIZE, SIZE, 3)).output.shape
    release()
    return int(shape[1] * shape[2] * shape[3])


def _block5_trainable():
    from course_lib.transfer import vgg16_trainable_by_blocks

    return vgg16_trainable_by_blocks((SIZE, SIZE, 3))[1]


def _passes_at_ten_labels():
    """Average passes over 10 labels per class (50 images) in the shipped budget."""
    from course_lib.data import load_transfer_results
    from course_lib.transfer import BATCH_SIZE

    steps = load_transfer_results()["labels"]["steps"]
    return steps * BATCH_SIZE / 50


def _reference_freeze(base, blocks):
    from course_lib.transfer import unfreeze_top_blocks

    unfreeze_top_blocks(base, blocks)


def _never_freezes(base, blocks):
    base.trainable = True


def _opens_everything_but_top(base, blocks):
    from course_lib.transfer import block_of

    for layer in base.layers:
        number = block_of(layer)
        layer.trainable = number is not None and number <= blocks


def _check_freeze(function):
    from course_lib.transfer import block_of, digit_base, features_of

    if not callable(function):
        raise Wrong("give a function, e.g. def freeze_all_but_top(base, blocks): ...")
    base = features_of(digit_base(seed=0))
    for layer in base.layers:
        layer.trainable = True
    function(base, 0)
    if all(layer.trainable for layer in base.layers if layer.weights):
        raise Wrong(
            "it changed nothing: every layer is still trainable; replace `return None` "
            "with a loop that sets layer.trainable"
        )
    for blocks in (0, 1, 2, 3):
        for layer in base.layers:  # start from the worst case: everything open
            layer.trainable = True
        function(base, blocks)
        for layer in base.layers:
            number = block_of(layer)
            if number is None or not layer.weights:
                continue
            should = number > 3 - blocks
            if bool(layer.trainable) != should:
                state = "trainable" if layer.trainable else "frozen"
                raise Wrong(
                    f"with blocks={blocks}, {layer.name} is {state}; the top "
                    f"{blocks} block(s) must train and every other layer stay frozen"
                )


exercise(
    "11.1",
    "VGG16 without its top on 128x128x3 photos: how many numbers does Flatten hand "
    "the head?",
    expected=_flattened_vgg16_features,
    hints=(
        (2048, "that is for 64x64 photos; 128 halves five times to 4, not 2."),
        (25088, "25,088 = 7·7·512 is for 224x224 photos, not 128x128."),
        (512, "512 is the channels; multiply by the 4x4 map."),
        (65536, "that is 128·512: the five pools shrink both sides."),
    ),
    hint="128 halves at each of VGG16's five pools; there are 512 channels.",
)

exercise(
    "11.2",
    "The slides' network 2 on 128x128x3 photos, with block 5 and the head open "
    "(everything else frozen): how many trainable parameters?",
    expected=_block5_trainable,
    hints=(
        (7_341_825, "that is for 64x64 photos; the head's Dense(128) now sees 8,192."),
        (15_763_521, "that is all of network 2: freeze blocks 1-4."),
        (1_048_833, "that is the head alone; block 5's three convolutions train too."),
        (7_079_424, "that is block 5 alone; the new head trains too."),
    ),
    hint="three 3x3 convolutions of 512→512 channels (with biases), plus the head: "
    "Dense(128) on your answer to 11.1, then Dense(1).",
)

exercise(
    "11.3",
    "Every way in the shipped sweep gets the same number of gradient steps of 32 "
    "images. With 10 labelled images per class (50 in all), how many times does each "
    "training image pass through the network, on average?",
    expected=_passes_at_ten_labels,
    tolerance=0.5,
    hints=((0.2, "that is 10 / 50; multiply the steps by the 32 images per step."),),
    hint="steps × 32 images per step, shared among the 50 training images.",
)

exercise(
    "11.4",
    "Write freeze_all_but_top(base, blocks): freeze every layer of base except the "
    "layers of its top `blocks` blocks (layers named block1_..., block2_, ...).",
    checker=_check_freeze,
    solution=lambda: _reference_freeze,
    mistakes=(_never_freezes, _opens_everything_but_top, "not a function"),
)
