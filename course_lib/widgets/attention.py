"""Widget of lecture 20: ``AttentionViewer``, where the reader looks for each digit.

Pick a test strip and an output step: the picture shows the strip with that step's
attention weights (``cl.attention.attention_model``) spread over its pixel columns, and
below it the weights of every step, one row each. The shipped attention reader
(``cl.data.load_attention_reader()``) reads all the strips once, at construction;
moving a control only redraws.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

import course_lib as cl
from course_lib.core import SEED, Anything, Array, Int, Number, checked
from course_lib.widgets.base import CourseWidget, new_figure

HIGHLIGHT = np.array([1.0, 0.35, 0.0], np.float32)  # orange: where the reader looks
OPACITY = Number(0, 1)


@checked(
    reader=Anything("an attention reader, as cl.data.load_attention_reader()"),
    images=Array(),
)
def read_strips(reader, images) -> tuple[list[str], np.ndarray, np.ndarray]:
    """What ``AttentionViewer`` shows of ``reader`` on strips ``images``: the text it
    reads (greedy decoding), its tokens (N, steps) and its attention weights (N, steps,
    columns) with its own tokens fed back."""
    from course_lib import attention

    read, tokens = attention.greedy_decode(reader, images, return_tokens=True)
    fed = np.full_like(tokens, attention.PAD)
    fed[:, 0] = attention.START
    fed[:, 1:] = tokens[:, :-1]
    weights = attention.attention_model(reader).predict_on_batch([images, fed])
    return read, tokens, np.asarray(weights)


class AttentionViewer(CourseWidget):
    """Which columns of the strip does the reader look at when it writes each digit?

    Without arguments: the shipped attention reader on 60 test strips (digits the
    reader never saw); its reading of the default strips ships with the course
    (``cl.data.precomputed``), so the widget then starts without TensorFlow.

    Example::

        viewer = cl.widgets.AttentionViewer()
        viewer.index.value = viewer.misread[0]   # a strip it reads wrong
        viewer.step.value = 1                    # where it looked for the 2nd digit

    Controls: ``index`` (which strip), ``step`` (which output token, 0 = the first),
    ``opacity`` (of the heatmap). State: ``strips`` (``cl.attention.Strips``),
    ``read`` (the text read per strip), ``tokens`` (N, steps) the tokens written,
    ``weights`` (N, steps, columns) the attention weights, ``misread`` (strips read
    wrong), ``looked_elsewhere`` (strips with a digit written while the peak of the
    attention lay on another digit), ``first_step_on_first_digit`` (strips whose
    step 0 peaks on their first digit), ``heatmap`` (28, width) the weights on show.
    """

    @checked(count=Int(1, 500), seed=SEED)
    def __init__(self, count: int = 60, seed: int = 20):
        super().__init__()
        from course_lib import attention

        max_digits = attention.READER_SETTINGS["max_digits"]
        self.strips = attention.make_strips(count, max_digits, split="test", seed=seed)
        # the default strips' reading ships with the course (no TensorFlow to start:
        # datasets/build_dashboard_outputs.py); any other strips are read here
        shipped = cl.data.precomputed("attention", self.strips.images)
        if shipped is not None:
            self.read = [str(text) for text in shipped["read"]]
            self.tokens, self.weights = shipped["tokens"], shipped["weights"]
        else:
            self.read, self.tokens, self.weights = read_strips(
                cl.data.load_attention_reader(), self.strips.images
            )
        width = self.strips.images.shape[2]
        self.pixel_weights = attention.attention_over_pixels(self.weights, width)
        self.misread = [
            i
            for i, (got, truth) in enumerate(
                zip(self.read, self.strips.digits, strict=True)
            )
            if got != truth
        ]
        self.looked_elsewhere = [i for i in range(count) if self._wrong_steps(i)]
        self.first_step_on_first_digit = [
            i
            for i in range(count)
            if self._digit_at(i, int(self.pixel_weights[i, 0].argmax())) == 0
        ]
        steps = self.tokens.shape[1]
        self.heatmap = np.zeros(self.strips.images.shape[1:], np.float32)

        self.index = widgets.IntSlider(
            0, 0, count - 1, description="strip", continuous_update=False
        )
        self.step = widgets.IntSlider(0, 0, steps - 1, description="step")
        self.opacity = widgets.FloatSlider(
            0.6, min=0.0, max=1.0, step=0.05, description="opacity"
        )
        figure = self.use_figure(new_figure(8.0, 3.4))
        top, bottom = figure.subplots(2, 1, height_ratios=[1, 1.3])
        self.overlay = np.zeros((*self.heatmap.shape, 3), np.float32)
        self.strip_artist = top.imshow(self.overlay, aspect="equal")
        top.axis("off")
        self.title = top.set_title("", fontsize=11)
        self.rows_artist = bottom.imshow(
            np.zeros((steps, width)), cmap="viridis", vmin=0, vmax=1, aspect="auto"
        )
        (self.marker,) = bottom.plot(
            [-0.5, width - 0.5], [0, 0], color="red", lw=2, alpha=0.7
        )
        bottom.set_yticks(range(steps))
        bottom.set_xlabel("pixel column of the strip", fontsize=10)
        bottom.set_ylabel("step", fontsize=10)
        self.token_texts = [
            bottom.text(width + 2, t, "", va="center", fontsize=10)
            for t in range(steps)
        ]
        self.watch(index=self.index, step=self.step, opacity=self.opacity)
        self.children = [
            widgets.HBox([self.index, self.step, self.opacity]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()

    def _digit_at(self, index: int, column: int) -> int | None:
        """Which digit of strip ``index`` covers pixel ``column`` (None: a gap)."""
        for i in range(int(self.strips.lengths[index])):
            start = int(self.strips.starts[index, i])
            if start <= column < start + 28:
                return i
        return None

    def _wrong_steps(self, index: int) -> list[int]:
        """Steps that wrote a digit while the attention's peak was on another digit."""
        from course_lib.attention import END

        wrong = []
        for t, token in enumerate(self.tokens[index]):
            if token == END or token > 9:
                break
            peak = int(self.pixel_weights[index, t].argmax())
            where = self._digit_at(index, peak)
            if where is not None and where != t:
                wrong.append(t)
        return wrong

    def _token_text(self, token: int) -> str:
        from course_lib.attention import VOCABULARY

        return VOCABULARY[int(token)]

    def _render(self):
        opacity = OPACITY.check(self.opacity.value, "opacity")  # NaN gets past a slider
        index, step = self.index.value, self.step.value
        image = self.strips.images[index]
        row = self.pixel_weights[index, step]
        top = row.max() if row.max() > 0 else 1.0
        self.heatmap = np.repeat(row[None] / top, image.shape[0], axis=0)
        amount = (self.heatmap * opacity)[..., None]
        self.overlay = (1 - amount) * image[..., None] + amount * HIGHLIGHT
        self.strip_artist.set_data(self.overlay)
        rows = self.pixel_weights[index]
        self.rows_artist.set_data(rows / rows.max(axis=1, keepdims=True))
        self.marker.set_ydata([step, step])
        tokens = self.tokens[index]
        for text, token in zip(self.token_texts, tokens, strict=True):
            text.set_text(self._token_text(token))
        truth = self.strips.digits[index]
        read = self.read[index]
        verdict = "right" if read == truth else "WRONG"
        self.title.set_text(f"reads {read or '(nothing)'}, true {truth}: {verdict}")
        token = int(tokens[step])
        ended = any(int(t) == 11 for t in tokens[:step])
        peak = int(row.argmax())
        where = self._digit_at(index, peak)
        place = "a gap" if where is None else f"digit {where + 1} ({truth[where]})"
        wrong = self._wrong_steps(index)
        self.caption.value = (
            f"Strip {index}, step {step}: the reader writes "
            f"<b>{html.escape(self._token_text(token))}</b>"
            + (" (after &lt;end&gt;: never used)" if ended else "")
            + f"; its attention peaks at pixel {peak}, on {place}. "
            + (
                f"Steps {wrong} looked at another digit than the one they wrote. "
                if wrong
                else ""
            )
            + f"{len(self.misread)} of {len(self.read)} strips are read wrong, "
            f"{len(self.looked_elsewhere)} look elsewhere at some step. Step 0 peaks "
            f"on the first digit in {len(self.first_step_on_first_digit)} of "
            f"{len(self.read)} strips, though no one told the reader where digits are."
        )
