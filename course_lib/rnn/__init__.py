"""Lecture 17: recurrent networks on text, written out in NumPy and checked against Keras.

- ``cells``: one-hot text with scikit-learn's ``LabelBinarizer`` (the slides' "hello
  world"); a simple RNN cell and an LSTM cell in NumPy (``rnn_forward``, ``lstm_step``,
  ``lstm_forward``), equal to ``keras.layers.SimpleRNN`` / ``LSTM`` with the same
  weights; parameter counts of recurrent layers, stacked and bidirectional (the slides'
  2 x LSTM(512) on 59 symbols has 3,300,923 parameters), of a GRU (``gru_parameters``,
  lecture 20's decoder) and the slides' model;
- ``corpus``: the corpus (bundled Shakespeare offline, the slides' Nietzsche when
  downloaded), its vocabulary and training sequences; a small character model for Keras;
- ``sampling``: temperature and top-k sampling written out, and text generation from a
  character LSTM in NumPy (fast enough for a widget, no TensorFlow needed); the small
  trained model that ships with the course (``cl.data.load_text_model()``).

Every name is here too: ``cl.rnn.lstm_forward``, ``cl.rnn.Vocabulary``,
``cl.rnn.generate``.
"""

from course_lib.rnn.cells import (
    LAYER_KINDS,
    gru_parameters,
    lstm_forward,
    lstm_step,
    one_hot,
    recurrent_parameters,
    rnn_forward,
    sigmoid,
    slide_model,
    stacked_parameters,
)
from course_lib.rnn.corpus import (
    CORPORA,
    CorpusStats,
    Vocabulary,
    char_model,
    corpus_stats,
    load_corpus,
    make_sequences,
    one_hot_ids,
    unigram_entropy,
)
from course_lib.rnn.sampling import (
    MAX_GENERATE,
    TextModel,
    generate,
    generate_stream,
    model_from_keras,
    model_to_keras,
    read_text_model,
    sample_next,
    sampling_probabilities,
    save_text_model,
)

__all__ = [
    "CORPORA",
    "LAYER_KINDS",
    "MAX_GENERATE",
    "CorpusStats",
    "TextModel",
    "Vocabulary",
    "char_model",
    "corpus_stats",
    "generate",
    "generate_stream",
    "gru_parameters",
    "load_corpus",
    "lstm_forward",
    "lstm_step",
    "make_sequences",
    "model_from_keras",
    "model_to_keras",
    "one_hot",
    "one_hot_ids",
    "read_text_model",
    "recurrent_parameters",
    "rnn_forward",
    "sample_next",
    "sampling_probabilities",
    "save_text_model",
    "sigmoid",
    "slide_model",
    "stacked_parameters",
    "unigram_entropy",
]
