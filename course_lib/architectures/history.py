"""ILSVRC, year by year: the winners of the table ``cl.data.load_ilsvrc_history()``."""

from __future__ import annotations

from course_lib.core import (
    Bool,
    Constraint,
    Int,
    Number,
    checked,
)

# ---------------------------------------------------------------------------------------
# ILSVRC, year by year (the table is cl.data.load_ilsvrc_history())


class _History(Constraint):
    """Rows of an ILSVRC table: dicts with ``columns`` (``cl.data.load_ilsvrc_history()``),
    at least one, whole-number years and places."""

    def __init__(self, columns: tuple[str, ...], empty: bool = False):
        self.columns, self.empty = columns, empty

    def describe(self):
        return (
            "the rows of cl.data.load_ilsvrc_history(): a list of dicts with "
            + ", ".join(self.columns)
        )

    def convert(self, value, name):
        if isinstance(value, (str, bytes, dict)) or not isinstance(
            value, (list, tuple)
        ):
            self.fail(name, value)
        if not value and not self.empty:
            self.fail(name, value, got="no rows")
        for index, row in enumerate(value):
            missing = [
                k for k in self.columns if not isinstance(row, dict) or k not in row
            ]
            if missing:
                self.fail(name, value, got=f"row {index} without {', '.join(missing)}")
            try:
                Int(1900, 2100).check(row["year"], "year")
                Int(1, 1000).check(row["place"], "place")
                Number(0, 100).check(row["top5_error_percent"], "top5_error_percent")
            except ValueError as error:
                self.fail(name, value, got=f"row {index}: {error}")
        return list(value)

    def example(self):
        return [
            {
                "year": 2012,
                "network": "AlexNet",
                "place": 1,
                "top5_error_percent": 16.4,
                "depth": 8,
                "parameters_millions": 60,
                "external_data": "no",
            }
        ]

    def bad_values(self):
        bad = [None, "text", [{"year": 2012}], [dict(self.example()[0], year="x")]]
        return bad if self.empty else [*bad, []]


HISTORY = _History(
    (
        "year",
        "network",
        "place",
        "top5_error_percent",
        "depth",
        "parameters_millions",
        "external_data",
    )
)
"""The declaration of an ILSVRC table, as ``cl.widgets.HistoryChart`` draws it."""

WINNERS_HISTORY = _History(
    ("year", "place", "external_data", "top5_error_percent"), empty=True
)
"""The declaration of the rows ``winners`` needs."""


@checked(history=WINNERS_HISTORY, external_data=Bool())
def winners(history: list[dict], external_data: bool = False) -> list[dict]:
    """The first-placed entry of each year, by year.

    Only entries trained on the challenge data count, unless ``external_data``; then
    the best first-placed entry of the year, with or without extra data.

    >>> from course_lib.data import load_ilsvrc_history
    >>> [row["top5_error_percent"] for row in winners(load_ilsvrc_history())][:3]
    [25.7, 16.4, 11.7]
    """
    best: dict[int, dict] = {}
    for row in history:
        if row["place"] != 1 or (not external_data and row["external_data"] != "no"):
            continue
        year = row["year"]
        if (
            year not in best
            or row["top5_error_percent"] < best[year]["top5_error_percent"]
        ):
            best[year] = row
    return [best[year] for year in sorted(best)]
