"""Plain tables: one list of header names and rows, rendered as text, Markdown or CSV."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Table:
    """A titled table whose cells are already formatted strings (CSV gets ``raw`` when given)."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    raw: list[list] | None = None  # unformatted values for CSV (numbers at full precision)
    note: str = ""
    raw_headers: list[str] | None = None  # the columns of ``raw`` when they differ (e.g. an interval's two ends)

    @property
    def columns(self) -> list[str]:
        """The names of the CSV (and JSON) columns."""
        return self.raw_headers if self.raw is not None and self.raw_headers is not None else self.headers

    def text(self) -> str:
        widths = [len(h) for h in self.headers]
        for row in self.rows:
            widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
        line = "  ".join("-" * w for w in widths)
        fmt = lambda row: "  ".join(c.rjust(w) if _numeric(c) else c.ljust(w) for c, w in zip(row, widths, strict=True))  # noqa: E731
        out = [self.title, fmt(self.headers), line, *(fmt(r).rstrip() for r in self.rows)]
        if self.note:
            out.append(self.note)
        return "\n".join(out)

    def markdown(self) -> str:
        esc = lambda c: c.replace("|", "\\|")  # noqa: E731
        out = [
            "| " + " | ".join(map(esc, self.headers)) + " |",
            "|" + "|".join("---:" if i else ":---" for i in range(len(self.headers))) + "|",
        ]
        out += ["| " + " | ".join(map(esc, r)) + " |" for r in self.rows]
        if self.note:
            out += ["", self.note]
        return "\n".join(out)

    def write_csv(self, path: Path) -> None:
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(self.columns)
            w.writerows(self.raw if self.raw is not None else self.rows)


def _numeric(text: str) -> bool:
    t = text.strip().lstrip("+-±").rstrip("%")
    return bool(t) and (t.replace(".", "", 1).replace(" ", "").replace("±", "").isdigit() or t == "nan")


def pct(x: float, digits: int = 1) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.{digits}f}%"


def num(x: float, digits: int = 0, sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"
