"""The sanitize rules of `make test`, read with nbval's own parser and tried on examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

RULES = get_sanitize_patterns(
    (Path(__file__).parent / "nbval_sanitize.cfg").read_text()
)


def sanitize(text: str) -> str:
    """What nbval does with the rules (plugin.py: ``re.sub(regex, replace, s)``)."""
    for regex, replace in RULES:
        text = re.sub(regex, replace, text)
    return text


def test_every_rule_in_the_file_is_read():
    lines = (Path(__file__).parent / "nbval_sanitize.cfg").read_text().splitlines()
    sections = [line for line in lines if line.startswith("[")]
    assert len(RULES) == len(sections) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<Model at 0x7f3a2c1d9e50>", "<Model at 0xADDRESS>"),
        ("took 12.5 ms", "took DURATION"),
        ("took 3.2 s in all", "took DURATION in all"),
        ("trained for 41 seconds", "trained for DURATION"),
        ("I0000 cpu_feature_guard.cc:210] This TensorFlow binary\nok", "\nok"),
    ],
)
def test_what_changes_from_run_to_run_is_replaced(text, expected):
    assert sanitize(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a 10x10 map",  # not an address
        "0x1F",  # a short hex number in a lesson
        "stride 2 s",  # not a decimal duration
        "12 epochs",
        "3 sizes",
        "output (24, 24, 6) has 456 parameters",
    ],
)
def test_lesson_numbers_are_left_alone(text):
    assert sanitize(text) == text
