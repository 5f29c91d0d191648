"""cl.video: moving digits on a wrapping frame, one frame alone is at chance, Conv3D
is not."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl
from course_lib import video


@pytest.fixture(scope="module")
def clips():
    return video.make_clips(400, seed=0)


def test_each_frame_is_the_first_one_moved(clips):
    assert clips.videos.shape == (400, 7, 28, 28)
    assert clips.videos.dtype == np.float32
    assert 0 <= clips.videos.min() and clips.videos.max() <= 1
    moves = {0: (0, 1), 1: (0, -1), 2: (1, 0), 3: (-1, 0)}
    for n in range(30):
        dy, dx = moves[int(clips.directions[n])]
        for f in range(7):
            moved = np.roll(clips.videos[n, 0], (2 * f * dy, 2 * f * dx), axis=(0, 1))
            assert np.array_equal(clips.videos[n, f], moved)
    again = video.make_clips(400, seed=0)
    assert np.array_equal(again.videos, clips.videos)


def test_directions_are_balanced_and_no_frame_gives_them_away(clips):
    counts = np.bincount(clips.directions, minlength=4)
    assert counts.max() - counts.min() <= 1
    moves = np.array([(0, 1), (0, -1), (1, 0), (-1, 0)])
    for f in (0, 3, 6):  # first, middle, last frame
        corners = (clips.starts + 2 * f * moves[clips.directions]) % 28
        for d in range(4):
            mine = corners[clips.directions == d]
            # a uniform place on 0..27: mean 13.5, spread 8.1, for every direction
            assert np.abs(mine.mean(0) - 13.5).max() < 2.5
            assert np.abs(mine.std(0) - 8.08).max() < 1.5


def test_single_frames_pick_a_frame(clips):
    assert np.array_equal(video.single_frames(clips, 6), clips.videos[:, 6])
    picked = video.single_frames(clips, seed=3)
    assert picked.shape == (400, 28, 28)
    which = [
        next(f for f in range(7) if np.array_equal(picked[n], clips.videos[n, f]))
        for n in range(len(clips))
    ]
    assert len(set(which)) == 7
    with pytest.raises(ValueError, match="frame must be from 0 to 6"):
        video.single_frames(clips, 7)


def test_one_frame_is_at_chance_and_conv3d_sees_the_motion(clips):
    test = video.make_clips(400, split="test", seed=1)
    cl.set_seed(0)
    frame_model = video.build_frame_classifier()
    frame_model.fit(
        video.single_frames(clips, seed=0)[..., None],
        clips.directions,
        epochs=3,
        verbose=0,
    )
    for f in (0, 3, 6):
        _, one_frame = frame_model.evaluate(
            video.single_frames(test, f)[..., None], test.directions, verbose=0
        )
        assert abs(one_frame - 0.25) < 0.1, (f, one_frame)
    train = video.make_clips(600, seed=0)
    model = video.build_clip_classifier()
    model.fit(train.videos[..., None], train.directions, epochs=3, verbose=0)
    _, accuracy = model.evaluate(test.videos[..., None], test.directions, verbose=0)
    assert accuracy > 0.8  # chance 0.25
