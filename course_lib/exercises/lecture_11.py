"""Exercises of lecture 11 (transfer learning): what VGG16 hands the head on 64x64
photos, what fine-tuning block 5 trains, which digit choice did best, and a correct
freezing function."""

from __future__ import annotations

from course_lib.exercises import Wrong, exercise


def _flattened_vgg16_features():
    """Length of VGG16's flattened output (no top) on 64x64x3, from a built model."""
    from course_lib.transfer import vgg16_base
    from course_lib.zoo import release, shapes_only

    with shapes_only():
        shape = vgg16_base(None, (64, 64, 3)).output.shape
    release()
    return int(shape[1] * shape[2] * shape[3])


def _block5_trainable():
    from course_lib.transfer import vgg16_trainable_by_blocks

    return vgg16_trainable_by_blocks()[1]


def _best_shipped_choice():
    """Blocks unfrozen with the best mean accuracy in the shipped digit results."""
    import numpy as np

    from course_lib.transfer import load_transfer_results

    runs = np.asarray(load_transfer_results()["digits"]["accuracy"], dtype=float)
    return int(runs.mean(axis=1).argmax())


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
    "VGG16 without its top on 64x64x3 photos: how many numbers does Flatten hand the "
    "head?",
    expected=_flattened_vgg16_features,
    hints=(
        (4096, "that is the slides' number; five 2x2 pools halve 64 five times."),
        (25088, "25,088 = 7·7·512 is for 224x224 photos, not 64x64."),
        (512, "512 is the channels; multiply by the 2x2 map."),
    ),
    hint="64 halves at each of VGG16's five pools; there are 512 channels.",
)

exercise(
    "11.2",
    "The slides' network 2 with block 5 and the head open (everything else frozen): "
    "how many trainable parameters?",
    expected=_block5_trainable,
    hints=(
        (14_977_089, "that is all of network 2: the slides forgot to freeze the base."),
        (262_401, "that is the head alone; block 5's three convolutions train too."),
        (7_079_424, "that is block 5 alone; the new head trains too."),
    ),
    hint="three 3x3 convolutions of 512→512 channels (with biases), plus the head.",
)

exercise(
    "11.3",
    "In the shipped digit results (cl.widgets.FineTuneExplorer()), how many top blocks "
    "of the digit base unfrozen gave the best mean accuracy?",
    expected=_best_shipped_choice,
    hint="move the digit slider and read the green bars (the mean over seeds).",
)

exercise(
    "11.4",
    "Write freeze_all_but_top(base, blocks): freeze every layer of base except the "
    "layers of its top `blocks` blocks (layers named block1_..., block2_, ...).",
    checker=_check_freeze,
    solution=lambda: _reference_freeze,
    mistakes=(_never_freezes, _opens_everything_but_top, "not a function"),
)
