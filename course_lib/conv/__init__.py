"""Convolution and pooling in NumPy, written to be read (lectures 04 and 05).

``conv2d`` computes what deep-learning frameworks call a convolution: a cross-correlation
(the kernel is not flipped), with Keras' memory layout (height, width, channels) and
Keras' kernel layout (kh, kw, C_in, C_out). ``pool2d`` is max or average pooling.
Both slide a window over the image with ``sliding_window_view`` (no copy) and then do one
multiply-and-sum for all windows at once (``np.einsum``), which is fast enough for a 512x512 photo.

The rest is the arithmetic behind the lectures' explorers (``cl.widgets.ConvolutionExplorer``,
``PoolingExplorer``, ``ReceptiveFieldExplorer``): output sizes, parameter counts,
receptive fields (``grow_receptive_field`` is the one copy of that step), kernel presets
and the multiply-and-sum behind one output pixel. ``cl.stacks.trace_stack`` follows a
whole stack of conv/pool layers with these functions.

Example::

    image = np.array([[0, 0, 5], [3, 4, 1], [6, 7, 1]])
    conv2d(image, [[1, 0, -1]] * 3)  # array([[2]])
"""

from __future__ import annotations

from course_lib.conv.arithmetic import (
    MAX_ELEMENTS,
    MAX_MULTIPLY_ADDS,
    PADDING,
    SIZE,
    conv2d,
    conv_params,
    grow_receptive_field,
    output_size,
    padding_amounts,
    pool2d,
    receptive_field,
)
from course_lib.conv.explorer import (
    DIGIT,
    KERNEL_PRESETS,
    SLIDE_FEATURE_MAP,
    PixelExplanation,
    display_gray,
    edge_feature_map,
    explain_pixel,
    explore_convolution,
    format_number,
    gray_image,
    gray_image_names,
    kernel_preset,
    parse_kernel,
    pool_feature_map,
    preset_name,
)

__all__ = [
    "MAX_ELEMENTS",
    "MAX_MULTIPLY_ADDS",
    "PADDING",
    "SIZE",
    "conv2d",
    "pool2d",
    "output_size",
    "conv_params",
    "grow_receptive_field",
    "receptive_field",
    "padding_amounts",
    "KERNEL_PRESETS",
    "kernel_preset",
    "preset_name",
    "parse_kernel",
    "DIGIT",
    "gray_image",
    "gray_image_names",
    "display_gray",
    "format_number",
    "explore_convolution",
    "PixelExplanation",
    "explain_pixel",
    "SLIDE_FEATURE_MAP",
    "edge_feature_map",
    "pool_feature_map",
]
