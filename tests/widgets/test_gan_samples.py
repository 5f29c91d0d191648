"""cl.widgets.SampleGrid: the Keras callback that shows a GAN's samples as it trains."""

from __future__ import annotations

import keras
import numpy as np

import course_lib as cl
from course_lib import gans


def test_the_sample_grid_is_a_keras_callback_that_shows_the_runs_snapshots():

    (x_train, _), _ = cl.data.load_mnist()
    grid = cl.widgets.SampleGrid(show=False)
    assert isinstance(grid, keras.callbacks.Callback)
    run = gans.train_gan(x_train[:128], epochs=1, seed=0, callbacks=[grid])
    assert grid.images.shape == (16, 28, 28)
    np.testing.assert_allclose(grid.images, run.snapshots[-1], atol=1e-6)
    assert "epoch 1/1" in grid.title.get_text()
    assert grid.model.generator is run.generator
