"""A training run on a report page (``bttt report --train-run DIR``): the run's curves (losses, policy entropy,
evaluation scores with intervals; :mod:`agents.alphazero.curves`), drawn afresh from its ``metrics.csv`` and
``eval.csv``, with its last metrics and last evaluation as tables, in ``training.html`` and ``training.md``."""

from __future__ import annotations

import csv
import html
from pathlib import Path

from bttt.errors import BtttError
from tournament.tables import Table

PAGE, MARKDOWN, IMAGE = "training.html", "training.md", "training_curves.png"


class TrainingRunError(BtttError):
    """A folder that is not a bttt training run."""


def check_run(run: str | Path) -> Path:
    run = Path(run)
    if not (run / "metrics.csv").is_file():
        raise TrainingRunError(f"--train-run {run}: no metrics.csv there; give the --out folder of a 'bttt train' run")
    return run


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    try:
        with open(path, newline="") as fh:
            return list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TrainingRunError(f"cannot read {path}: {exc}") from None


def write_training_page(run: str | Path, out: Path, link_report: bool = True) -> list[str]:
    """Write the run's page and curves into the report folder ``out``; returns the files written."""
    from agents.alphazero.curves import plot_curves
    from bttt.paths import atomic_write

    run = check_run(run)
    out.mkdir(parents=True, exist_ok=True)
    try:
        plot_curves(run / "metrics.csv", run / "eval.csv", out / IMAGE)
    except (KeyError, ValueError) as exc:
        raise TrainingRunError(f"--train-run {run}: its metrics.csv or eval.csv is not bttt's ({exc})") from None
    metrics, evaluation = _rows(run / "metrics.csv"), _rows(run / "eval.csv")
    last = metrics[-1]
    keys = [k for k in ("iteration", "games", "positions", "steps", "loss", "policy_loss", "value_loss") if k in last]
    keys += [k for k in ("policy_entropy", "elapsed_s") if k in last]
    summary = Table(f"Last iteration of {run}", keys, [[last[k] for k in keys]])
    tables = [summary]
    if evaluation:
        it = evaluation[-1]["iteration"]
        cols = ["opponent", "group", "colour", "games", "wins", "draws", "losses", "score"]
        tables.append(
            Table(
                f"Evaluation at iteration {it} (score: win 1, draw 1/2, loss 0)",
                cols,
                [[r.get(c, "") for c in cols] for r in evaluation if r["iteration"] == it],
            )
        )
    intro = (
        f"Training run {run}: losses and the policy's entropy per iteration, and the evaluation scores on training "
        "and novel brick cells with 95% Wilson intervals (games against a deterministic opponent replay each other; "
        "there the interval overstates the evidence)."
    )
    md = ["# Training run", "", intro, "", f"![training curves]({IMAGE})", ""]
    body = [f"<h1>Training run</h1><p>{html.escape(intro)}</p><p><img src='{IMAGE}' alt='training curves'></p>"]
    for t in tables:
        md += [f"## {t.title}", "", t.markdown(), ""]
        head = "".join(f"<th>{html.escape(h)}</th>" for h in t.headers)
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in t.rows)
        body.append(
            f"<h2>{html.escape(t.title)}</h2><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        )
    if link_report:
        body.append("<p><a href='index.html'>the tournament report</a></p>")
    style = (
        "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px}img{max-width:100%}"
    )
    atomic_write(
        out / PAGE,
        "<!doctype html><html><head><meta charset='utf-8'><title>bttt training run</title>"
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n",
    )
    atomic_write(out / MARKDOWN, "\n".join(md))
    return [PAGE, MARKDOWN, IMAGE]
