"""What a student reads in a notebook, for the prose and exercise-leak tests.

A student sees the markdown cells, the code, and the outputs the repository stores (only
cells tagged ``nbval-check-output`` keep theirs). These helpers collect that text and look
in it for two faults:

- :func:`test_talk`: test, CI or build vocabulary, and calls of private library functions;
- :func:`leaked_answers`: an exercise's expected answer written verbatim in a cell above the
  exercise.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHECKED = "nbval-check-output"

# Words that belong to the project's tests and build, not to the lesson. Each is
# (pattern, what to say); patterns are regular expressions, case-sensitive unless (?i).
TEST_TALK = (
    (r"(?i)nbval", "a test marker or nbval"),
    (r"(?i)\bpytest\b", "pytest"),
    (r"\bHypothesis\b", "Hypothesis (the property-testing library)"),
    (r"(?i)\bunit[- ]tests?\b", "unit tests"),
    (
        r"(?i)\bthe tests?\b(?! (set|image|digit|photo|data|split|accuracy|loss|error))",
        "the tests",
    ),
    (r"(?i)\btest suite\b", "the test suite"),
    (r"\bCI\b", "CI"),
    (r"(?i)make (measure|test|bench)", "a make command of the developers"),
    (r"(?i)\bsha-?256\b", "sha256"),
    (r"(?i)\bchecksum", "checksums"),
    (r"\bREGISTRY\b", "the registry"),
)

PRIVATE_CALL = re.compile(r"\bcl\.(?:\w+\.)*_[a-z]\w*")
"""``cl.module._name``: a private function a student should never need."""

ALLOWED = {
    # The welcome notebook explains fast mode once: what the switch is for.
    ("00_welcome.ipynb", "the tests"),
}


@dataclass(frozen=True)
class Finding:
    notebook: str
    cell: int
    what: str
    text: str

    def __str__(self) -> str:
        return f"{self.notebook} cell {self.cell}: {self.what}: {self.text!r}"


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def lecture_notebooks() -> list[Path]:
    """Every lecture notebook and dashboard."""
    return sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(
        (NOTEBOOKS / "dashboards").glob("*.ipynb")
    )


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return text if isinstance(text, str) else "".join(text)


def checked_output(cell: dict) -> str:
    """The stored text output of a checked code cell ('' for any other cell)."""
    if cell.get("cell_type") != "code":
        return ""
    if CHECKED not in cell.get("metadata", {}).get("tags", []):
        return ""
    parts = []
    for output in cell.get("outputs", []):
        text = output.get("text") or output.get("data", {}).get("text/plain", "")
        parts.append(text if isinstance(text, str) else "".join(text))
    return "".join(parts)


def read_text(cell: dict) -> Iterator[tuple[str, str]]:
    """(kind, text) pairs a student reads in a cell: markdown, or a checked output."""
    if cell.get("cell_type") == "markdown":
        yield "markdown", source(cell)
    else:
        out = checked_output(cell)
        if out:
            yield "output", out


def test_talk(path: Path) -> list[Finding]:
    """Test and build vocabulary in markdown and checked outputs; private calls in code."""
    doc = load(path)
    findings = []
    for index, cell in enumerate(doc["cells"]):
        for kind, text in read_text(cell):
            for pattern, what in TEST_TALK:
                if (path.name, what) in ALLOWED:
                    continue
                for match in re.finditer(pattern, text):
                    line = _line_around(text, match.start())
                    findings.append(Finding(path.name, index, f"{what} ({kind})", line))
        if cell.get("cell_type") == "code":
            for match in PRIVATE_CALL.finditer(source(cell)):
                findings.append(
                    Finding(path.name, index, "a private call", match.group(0))
                )
    return findings


def _line_around(text: str, at: int) -> str:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start : end if end >= 0 else len(text)].strip()[:160]


# ---------------------------------------------------------------------------------------
# Leaked answers


def answer_texts(value) -> list[str]:
    """The ways an expected number would be written in prose or printed by a cell.

    Only forms distinctive enough to search for verbatim: numbers with at least three
    significant characters (``2048``, ``0.143``, ``2,048``) that round to the answer
    (within 0.5 %), and tuples as Python prints them. ``9`` or ``0.5`` would match
    everywhere: those go through :data:`SHORT_ANSWER` instead, and words through
    :func:`_word_leaks`."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, tuple | list):
        return [repr(tuple(value)), repr(list(value))]
    if isinstance(value, int | float) and math.isfinite(value):
        if float(value).is_integer():
            number = int(value)
            forms = {str(number), f"{number:,}"}
            return sorted(f for f in forms if len(f.lstrip("-")) >= 3)
        forms = {f"{value:.{digits}f}".rstrip("0") for digits in (2, 3, 4)}
        forms |= {f"{value:.{digits}g}" for digits in (2, 3, 4)}
        forms.add(repr(value))
        return sorted(
            f
            for f in forms
            if len(f.lstrip("-").replace("0.", "")) >= 3
            and abs(float(f) - value) <= 0.005 * abs(value)
        )
    return []


SHORT_ANSWER = r"(?m)(?:→|->|=|\bpredict(?:s|ed)?:?)\s*{value}\s*$"
"""A short numeric answer (``9``) counts as leaked where a checked output ends a line
with it as a result ("predicted 9", "= 9")."""


def _contains(text: str, form: str) -> bool:
    pattern = r"(?<![\w.,])" + re.escape(form) + r"(?![\w]|[.,]\d)"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def _short_forms(value) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    if not math.isfinite(value) or answer_texts(value):
        return []
    if float(value).is_integer():
        return [str(int(value))]
    return [f"{value:g}"]


def _word_leaks(value, text: str) -> bool:
    """A word answer ("augmentation") printed by a checked cell as a result. In markdown
    the word is usually the lesson's own vocabulary (the options a student chooses
    from), so only printed output counts."""
    return (
        isinstance(value, str)
        and len(value.strip()) >= 2
        and re.search(
            r"(?<!\w)" + re.escape(value.strip()) + r"(?!\w)", text, re.IGNORECASE
        )
        is not None
    )


def exercise_cells(doc: dict, lecture: str) -> dict[str, int]:
    """{"NN.k": index of the first cell that checks it}."""
    where = {}
    pattern = re.compile(rf"""check\(\s*["']({re.escape(lecture)}\.\d+)["']""")
    for index, cell in enumerate(doc["cells"]):
        if cell.get("cell_type") != "code":
            continue
        for key in pattern.findall(source(cell)):
            where.setdefault(key, index)
    return where


def leaked_answers(path: Path, expected: dict[str, object]) -> list[Finding]:
    """Closed exercises whose expected answer appears verbatim above them.

    ``expected`` maps "NN.k" to the expected answer (open exercises left out)."""
    doc = load(path)
    lecture = path.name[:2]
    findings = []
    for key, at in exercise_cells(doc, lecture).items():
        if key not in expected:
            continue
        value = expected[key]
        forms = answer_texts(value)
        short = _short_forms(value)
        for index, cell in enumerate(doc["cells"][:at]):
            for kind, text in read_text(cell):
                found = [form for form in forms if _contains(text, form)]
                if kind == "output":
                    found += [
                        form
                        for form in short
                        if re.search(SHORT_ANSWER.format(value=re.escape(form)), text)
                    ]
                    if _word_leaks(value, text):
                        found.append(value)
                findings += [
                    Finding(path.name, index, f"{key}'s answer ({kind})", form)
                    for form in found
                ]
    return findings


def revealed_answers(path: Path, reveals: dict[str, tuple[str, ...]] | None = None):
    """Text above an exercise matching one of its declared ``reveals`` patterns.

    ``reveals`` maps "NN.k" to patterns; by default each exercise's own
    ``Exercise.reveals``."""
    doc = load(path)
    lecture = path.name[:2]
    if reveals is None:
        from course_lib import exercises

        reveals = {
            key: exercises.get(key).reveals
            for key in exercises.all_keys()
            if key.startswith(lecture + ".")
        }
    findings = []
    for key, at in exercise_cells(doc, lecture).items():
        for pattern in reveals.get(key, ()):
            for index, cell in enumerate(doc["cells"][:at]):
                for kind, text in read_text(cell):
                    match = re.search(pattern, text)
                    if match:
                        findings.append(
                            Finding(
                                path.name, index, f"{key}'s answer ({kind})", match[0]
                            )
                        )
    return findings
