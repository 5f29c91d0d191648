"""The block diagram of a network: one box per block, its height the map's side and
its width the channels (log scale), coloured by kind."""

from __future__ import annotations

import math

from course_lib.architectures.rows import AXES, BLOCKS, LayerRow
from course_lib.core import checked

# ---------------------------------------------------------------------------------------
# The block diagram

BLOCK_COLORS = {
    "convolution": "tab:blue",
    "pooling": "tab:gray",
    "dense": "tab:orange",
    "residual": "tab:green",
    "concatenation": "tab:purple",
    "other": "0.8",
}
"""The colour of each kind of block in the diagram."""

BLOCK_GAP = 0.15
"""Space between two boxes of the block diagram."""


@checked(blocks=BLOCKS)
def block_boxes(blocks: list[LayerRow]) -> list[tuple[float, float, float]]:
    """``(x, width, height)`` of one box per block, left to right, centred on y = 0.

    The height grows with log2 of the side of the block's output map (a dense output
    counts as one pixel) up to 0.9, the width with log2 of its channels, from 0.3 to 1.

    >>> from course_lib.architectures import summarize
    >>> boxes = block_boxes(summarize("LeNet-5").blocks)   # 32x32x1 in, 10 out
    >>> [round(height, 2) for x, width, height in boxes]
    [0.9, 0.87, 0.72, 0.65, 0.5, 0.15, 0.15, 0.15]
    """
    first = blocks[0].output_shape
    levels = math.log2(first[0]) + 1 if len(first) > 1 else 1.0
    most_channels = max(b.output_shape[-1] for b in blocks)
    boxes = []
    x = 0.0
    for block in blocks:
        shape = block.output_shape
        side = shape[0] if len(shape) > 1 else 1
        height = 0.9 * (math.log2(max(side, 1)) + 1) / levels
        width = 0.3 + 0.7 * math.log2(shape[-1] + 1) / math.log2(most_channels + 1)
        boxes.append((x, width, height))
        x += width + BLOCK_GAP
    return boxes


@checked(axes=AXES, blocks=BLOCKS)
def draw_blocks(axes, blocks: list[LayerRow]) -> list:
    """Draw the block diagram of :func:`block_boxes` on an empty matplotlib axes.

    The colour says what kind of block it is (:data:`BLOCK_COLORS`). Returns the boxes
    (``matplotlib.patches.Rectangle``), one per block.
    """
    from matplotlib.patches import Patch, Rectangle

    boxes = []
    for block, (x, width, height) in zip(blocks, block_boxes(blocks), strict=True):
        box = Rectangle(
            (x, -height / 2),
            width,
            height,
            facecolor=BLOCK_COLORS[block.kind],
            edgecolor="black",
            linewidth=0.5,
        )
        axes.add_patch(box)
        boxes.append(box)
    fontsize = max(4, min(8, 400 // len(blocks)))
    axes.set_xticks([b.get_x() + b.get_width() / 2 for b in boxes])
    axes.set_xticklabels([b.name for b in blocks], rotation=90, fontsize=fontsize)
    axes.set_xlim(-0.2, boxes[-1].get_x() + boxes[-1].get_width() + BLOCK_GAP)
    axes.set_ylim(-0.5, 0.75)
    axes.set_yticks([])
    kinds = {b.kind for b in blocks}
    axes.legend(
        handles=[
            Patch(color=color, label=kind)
            for kind, color in BLOCK_COLORS.items()
            if kind in kinds
        ],
        fontsize=7,
        loc="upper center",
        ncol=6,
        frameon=False,
    )
    axes.set_title(
        "blocks: height = log of the map side, width = log of the channels", fontsize=9
    )
    return boxes
