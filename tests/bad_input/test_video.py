"""Bad input to cl.video (lecture 20, moving digits) that the declarations alone do not
cover (tests/test_declared.py generates the rest): issue 33's case (0-1 digits divided
by 255 again), pinned with a property test (the same clips from uint8 and 0-1 digits)."""

from __future__ import annotations

import numpy as np
import pytest
from clear_errors import refused

import course_lib as cl
from course_lib import video


@pytest.fixture(scope="module")
def small_mnist():
    (x_train, y_train), (x_test, y_test) = cl.data.load_mnist()
    return (x_train[:100], y_train[:100]), (x_test[:50], y_test[:50])


def test_0_1_digits_make_the_same_clips_as_uint8_digits(small_mnist):
    """Issue 33: 0-1 digits were divided by 255 again (clips of near-black digits)."""
    (x_train, y_train), (x_test, y_test) = small_mnist
    as_float = ((x_train / 255.0, y_train), (x_test / 255.0, y_test))
    from_uint8 = video.make_clips(12, mnist=small_mnist, seed=2)
    from_float = video.make_clips(12, mnist=as_float, seed=2)
    assert np.allclose(from_uint8.videos, from_float.videos, atol=1e-6)
    assert from_float.videos.max() > 0.5
    assert (from_uint8.directions == from_float.directions).all()


def test_0_255_float_digits_are_refused_with_the_fix(small_mnist):
    (x_train, y_train), test = small_mnist
    as_255 = ((x_train.astype(np.float64), y_train), test)
    assert "divide by 255" in refused(
        lambda: video.make_clips(4, mnist=as_255), "mnist"
    )


def test_a_frame_past_the_clip_is_refused():
    clips = video.make_clips(3, frames=4, seed=0)
    assert "0 to 3" in refused(lambda: video.single_frames(clips, frame=4), "frame")
    assert video.single_frames(clips, frame=3).shape == (3, 28, 28)


def test_a_kernel_of_two_sizes_is_refused_and_one_size_is_a_cube():
    refused(lambda: video.conv3d_parameters((3, 5), 3, 32), "kernel")
    assert video.conv3d_parameters(3, 1, 1) == video.conv3d_parameters((3, 3, 3), 1, 1)
