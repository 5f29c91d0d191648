"""A training step written out with ``tf.GradientTape``, and a small ``fit`` loop around it.

The step runs three ways (``mode``):

- ``"eager"``: plain Python, op by op (easy to debug, slow);
- ``"tf_function"``: traced once into a TensorFlow graph by ``tf.function``;
- ``"xla"``: the graph compiled by XLA (``tf.function(jit_compile=True)``).

``fit`` calls the same Keras callback hooks as ``model.fit`` (``on_train_begin``,
``on_epoch_begin``, ``on_train_batch_end``, ``on_epoch_end(epoch, logs)`` with ``loss``,
``accuracy``, ``val_loss``, ``val_accuracy``, ``on_train_end``), so any
``keras.callbacks.Callback`` (a live plot, ``EarlyStopping``, ...) works with both.
Like ``model.fit`` it ends by giving the model its optimizer's moving average of the
weights when the optimizer keeps one (``use_ema=True``); ``averaged_weights`` lends the
model that average for a moment during training (to evaluate it).

Pass a ``tf.distribute.Strategy`` (and build the model and optimizer inside
``strategy.scope()``) and the same code trains data-parallel: each replica gets a slice of
every batch, computes its gradients, and the optimizer sums them across replicas before
updating the mirrored weights. ``MirroredStrategy`` does this on several GPUs of one
machine, ``MultiWorkerMirroredStrategy`` on several machines.

Example::

    model = keras.Sequential([...])
    history = cl.train.fit(model, (x_train, y_train), epochs=2, batch_size=128,
                           optimizer=keras.optimizers.Adam(1e-3),
                           validation_data=(x_test, y_test), mode="xla")
    history.history["val_accuracy"]
"""

from course_lib.train.inputs import (
    DATA,
    LOSS,
    LOSS_NAMES,
    MAX_BATCH,
    MAX_EPOCHS,
    MODE,
    MODEL,
    MODES,
    OPTIMIZER,
    OPTIMIZER_NAMES,
    STRATEGY,
)
from course_lib.train.loop import (
    array_batches,
    as_dataset,
    averaged_weights,
    benchmark_train_step,
    check_callbacks,
    compile_for_classification,
    evaluate,
    fit,
)
from course_lib.train.steps import EvaluateStep, TrainStep, per_example_loss

__all__ = [
    "DATA",
    "LOSS",
    "LOSS_NAMES",
    "MAX_BATCH",
    "MAX_EPOCHS",
    "MODE",
    "MODEL",
    "MODES",
    "OPTIMIZER",
    "OPTIMIZER_NAMES",
    "STRATEGY",
    "EvaluateStep",
    "TrainStep",
    "array_batches",
    "as_dataset",
    "averaged_weights",
    "benchmark_train_step",
    "check_callbacks",
    "compile_for_classification",
    "evaluate",
    "fit",
    "per_example_loss",
]
