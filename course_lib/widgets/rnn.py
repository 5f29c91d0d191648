"""Widget of lecture 17: ``TextGenerator``, a character LSTM writing Shakespeare.

The shipped model (``cl.data.load_text_model()``, an LSTM(192) trained on the bundled
plays, lowercased) runs in NumPy, one character at a time, so that a whole sample is
written again on every change of a control (no TensorFlow, no training). The picture
shows the next-character distribution after the seed text at the chosen temperature
and top-k, beside the model's own (T = 1) distribution; the text below is the sample.
"""

from __future__ import annotations

import html
import math
import re

import ipywidgets as widgets
import numpy as np

import course_lib as cl
from course_lib.core import Int, Number, Optional, Text, checked
from course_lib.rnn.sampling import MAX_GENERATE, TEXT_MODEL
from course_lib.widgets.base import CourseWidget, new_figure, set_in_range

BARS = 20  # the most likely characters shown
TEMPERATURE = Number(0.1, 2.5)
_WORD = re.compile(r"[a-z']+")


def _label(symbol: str) -> str:
    return {" ": "␣", "\n": "⏎"}.get(symbol, symbol)


def _real_word_share(text: str, words: set[str]) -> tuple[float, int]:
    """The share of the sample's whole words (not the last, maybe cut) that occur in the
    corpus, and how many words were judged."""
    found = _WORD.findall(text)[:-1]
    if not found:
        return math.nan, 0
    return sum(w.strip("'") in words for w in found) / len(found), len(found)


class TextGenerator(CourseWidget):
    """Where does the text stop being words? Sample a character LSTM at a temperature.

    Without arguments: the shipped LSTM trained on Shakespeare (``cl.rnn``).

    Example::

        gen = cl.widgets.TextGenerator()
        gen.temperature.value = 1.5        # flatter: more surprises, fewer real words
        gen.top_k.value = 5                # only the 5 most likely characters may come
        gen.generate_button.click()        # a new sample, streamed in as it is written

    Controls: ``temperature``, ``top_k`` (0: all characters), ``seed_text`` (what the
    model reads first; lowercased), ``length`` (characters to write), ``draw`` (which
    random draw: the same draw gives the same text). The button ``generate_button``
    streams a new draw. State: ``sample`` (the text written), ``probabilities`` (the
    next-character distribution after the seed text), ``real_words`` (the share of the
    sample's words that occur in the corpus).
    """

    @checked(
        text_model=Optional(TEXT_MODEL),
        temperature=TEMPERATURE,
        top_k=Int(0, 1000),
        seed_text=Text(max_length=1000),
        length=Int(20, 600),
    )
    def __init__(
        self,
        text_model=None,
        temperature: float = 0.6,
        top_k: int = 0,
        seed_text: str = "to be, or not to be",
        length: int = 200,
    ):
        super().__init__()
        from course_lib import rnn as cl_rnn

        self.text_model = (
            cl.data.load_text_model() if text_model is None else text_model
        )
        corpus = cl_rnn.load_corpus("shakespeare").lower()
        self.words = set(_WORD.findall(corpus))
        self.vocab = self.text_model.vocab
        symbols = len(self.vocab)

        self.temperature = widgets.FloatSlider(
            0.6,
            min=0.1,
            max=2.5,
            step=0.05,
            description="temperature",
            continuous_update=False,
        )
        set_in_range(self.temperature, temperature, "temperature")
        self.top_k = widgets.IntSlider(
            0,
            min=0,
            max=symbols,
            description="top-k (0: all)",
            continuous_update=False,
        )
        set_in_range(self.top_k, top_k, "top_k")
        self.length = widgets.IntSlider(
            200,
            min=20,
            max=600,
            step=20,
            description="length",
            continuous_update=False,
        )
        set_in_range(self.length, length, "length")
        self.draw = widgets.IntSlider(
            0, min=0, max=99, description="draw", continuous_update=False
        )
        self.seed_text = widgets.Text(seed_text, description="seed text")
        self.generate_button = widgets.Button(
            description="generate",
            tooltip="write a new draw, character by character",
            button_style="primary",
        )
        self.generate_button.on_click(self._stream)
        for control in (self.temperature, self.top_k, self.length, self.draw):
            control.style.description_width = "initial"
        self.output = widgets.HTML()
        self.sample = ""
        self.probabilities = np.zeros(symbols)
        self.real_words = math.nan

        figure = self.use_figure(new_figure(8.0, 2.6))
        self.axes = figure.subplots()
        x = np.arange(BARS)
        self.model_bars = self.axes.bar(
            x - 0.2, np.zeros(BARS), 0.4, color="#bbbbbb", label="model (T = 1)"
        )
        self.sample_bars = self.axes.bar(
            x + 0.2, np.zeros(BARS), 0.4, color="#1f77b4", label="sampled from"
        )
        self.axes.set_xticks(x, [""] * BARS, fontsize=11)
        self.axes.set_ylim(0, 1)
        self.axes.set_ylabel("probability", fontsize=11)
        self.axes.legend(loc="upper right", fontsize=10)
        self.title = self.axes.set_title("", fontsize=12)
        # The bars, their characters and the title change; the rest is drawn once
        # (the spines too: they are drawn over the bars).
        self.figure_image.animate(
            *self.model_bars,
            *self.sample_bars,
            *self.axes.spines.values(),
            self.axes.xaxis,
            self.title,
        )
        self._written: tuple = (None, [], iter(()))  # see _stream_chars

        self.watch(
            temperature=self.temperature,
            top_k=self.top_k,
            seed_text=self.seed_text,
            length=self.length,
            draw=self.draw,
        )
        self.children = [
            widgets.HBox([self.temperature, self.top_k]),
            widgets.HBox([self.seed_text, self.length]),
            widgets.HBox([self.draw, self.generate_button]),
            self.figure_image,
            self.caption,
            self.error,
            self.output,
        ]
        self.update()

    # -- compute -----------------------------------------------------------------------

    def _seed(self) -> str:
        seed = self.seed_text.value.lower()
        if not re.search(r"[a-z]", seed):
            raise ValueError(
                f"the seed text must contain at least one letter, got {seed!r}"
            )
        unknown = self.vocab.unknown(seed)
        if unknown:
            raise ValueError(
                f"the seed text has characters the model never saw: "
                f"{''.join(unknown)!r}; it knows {''.join(self.vocab.symbols)!r}"
            )
        return seed

    def _stream_chars(self, seed: str, draw: int):
        """The sample's characters one by one, ``length`` of them.

        A sample is the start of the same draw written longer, so the characters written
        for the current seed text, temperature, top-k and draw are kept: a shorter
        length cuts them, a longer one writes on from where they stop."""
        from course_lib.rnn import generate_stream

        key = (seed, self.temperature.value, self.top_k.value, draw)
        if self._written[0] != key:
            chars = generate_stream(
                self.text_model,
                seed,
                MAX_GENERATE,  # lazily: only as many as are asked for are written
                self.temperature.value,
                self.top_k.value,
                seed=draw,
            )
            self._written = (key, [], chars)
        _, written, chars = self._written
        for n in range(self.length.value):
            if n == len(written):
                try:
                    written.append(next(chars))
                except Exception:  # a generation that failed is not kept
                    self._written = (None, [], iter(()))
                    raise
            yield written[n]

    def _show_text(self, seed: str, written: str) -> None:
        self.output.value = (
            '<pre style="white-space:pre-wrap;font-size:16px;line-height:1.35;'
            'max-width:800px;background:#f7f7f7;padding:6px">'
            f"<b>{html.escape(seed)}</b>{html.escape(written)}</pre>"
        )

    # -- drawing -----------------------------------------------------------------------

    def _render(self):
        from course_lib.rnn import sampling_probabilities

        TEMPERATURE.check(
            self.temperature.value, "temperature"
        )  # NaN gets past a slider
        seed = self._seed()
        logits, _ = self.text_model.read(seed)
        model_p = sampling_probabilities(logits, 1.0, 0)
        self.probabilities = sampling_probabilities(
            logits, self.temperature.value, self.top_k.value
        )
        order = np.argsort(-model_p, kind="stable")[:BARS]
        for bar, value in zip(self.model_bars, model_p[order], strict=True):
            bar.set_height(value)
        for bar, value in zip(self.sample_bars, self.probabilities[order], strict=True):
            bar.set_height(value)
        self.axes.set_xticklabels([_label(self.vocab.symbols[i]) for i in order])
        kept = int((self.probabilities > 0).sum())
        entropy = float(
            -(
                self.probabilities[self.probabilities > 0]
                * np.log2(self.probabilities[self.probabilities > 0])
            ).sum()
        )
        self.title.set_text(
            f"next character after {seed[-20:]!r}: {BARS} most likely of {len(model_p)}"
        )
        self.sample = "".join(self._stream_chars(seed, self.draw.value))
        self._show_text(seed, self.sample)
        share, count = _real_word_share(self.sample, self.words)
        self.real_words = share
        words = (
            f"<b>{share:.0%}</b> of its {count} words occur in the plays"
            if count
            else "no whole word yet"
        )
        top = "all" if self.top_k.value == 0 else str(self.top_k.value)
        self.caption.value = (
            f"Temperature <b>{self.temperature.value:g}</b>, top-k {top}: the next "
            f"character is drawn from {kept} symbols, entropy {entropy:.2f} bits "
            f"(the model's own: {self._bits(model_p):.2f}). The sample (draw "
            f"{self.draw.value}): {words}."
        )

    @staticmethod
    def _bits(p: np.ndarray) -> float:
        p = p[p > 0]
        return float(-(p * np.log2(p)).sum())

    # -- streaming ---------------------------------------------------------------------

    def _stream(self, _button=None) -> None:
        """Write a new draw character by character into the text box, then render."""
        try:
            seed = self._seed()
        except ValueError as exc:
            self._fail(str(exc))
            return
        draw = (self.draw.value + 1) % (self.draw.max + 1)
        written = ""
        for n, char in enumerate(self._stream_chars(seed, draw), 1):
            written += char
            if n % 8 == 0:
                self._show_text(seed, written + "▌")
        self.draw.value = draw  # renders the same text, with its picture and caption
