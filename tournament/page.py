"""The report's one page, as Markdown (``index.md``) and as self-contained HTML (``index.html``).

Both render the same list of blocks, so the two pages always say the same thing.
"""

from __future__ import annotations

import html
import json
import time
from urllib.parse import urlencode

from tournament.report_quality import quality_blocks
from tournament.tables import Table

INTRO_HEATMAPS = (
    "Each heatmap shows the agent's mean score in percent (win 100, draw 50, loss 0) with the brick on that "
    "cell: as player 1, as player 2, and both. Training cells are outlined; grey cells were not played."
)


def blocks(report, images: dict[str, list[str]]) -> list[tuple[str, object]]:
    """The page as ``(kind, content)``: h1/h2/h3/p text, table (a Table, with its title), img (a file), links."""
    from tournament.report import describe_config

    t = report.tables
    out: list[tuple[str, object]] = [
        ("h1", "Brick Tic-Tac-Toe tournament report"),
        ("p", describe_config(report.config, report.n_games, _distinct(report)) + "."),
    ]
    played = [r for r in report.runs if r.get("games_played")]
    if played:
        total = sum(r["wall_time"] for r in played)
        games = sum(r["games_played"] for r in played)
        how = ", ".join(sorted({f"{r['backend']} backend, {r['workers']} workers" for r in played}))
        out.append(
            (
                "p",
                f"Played in {len(played)} run(s): {games} games in {total / 60:.1f} min wall time ({how}). "
                f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
            )
        )
    if images.get("viewer"):
        out.append(("viewer", images["viewer"][0]))
    if images.get("training"):
        out.append(("training", images["training"][0]))
    if "sprt" in t:
        out += [("h2", "Sequential test"), ("p", t["sprt"].title), ("table", t["sprt"])]
    out += [("h2", "Ratings"), ("table", t["standings"])] + [("img", p) for p in images.get("ratings", [])]
    if "pairs" in t:
        out += [("h3", "Colour-swapped pairs"), ("table", t["pairs"])]
    out += [
        ("h2", "Crosstables (per colour)"),
        ("p", t["crosstable_p1"].title),
        ("table", t["crosstable_p1"]),
        ("p", t["crosstable_p2"].title),
        ("table", t["crosstable_p2"]),
    ]
    out += [("h2", "Outcomes"), ("table", t["outcomes"])]
    out += [("h2", "Generalization"), ("table", t["generalization"])]
    for key, title in (
        ("iqm", "Interquartile mean over cells"),
        ("improvement", "Probability of improvement"),
        ("normalised", "Normalised scores"),
    ):
        if key in t:
            out += [("h3", title), ("table", t[key])]
    out += [("img", p) for p in images.get("gap", [])]
    links = {json.loads(x)["file"]: json.loads(x) for x in images.get("heatmap_links", [])}
    out += [("h3", "Per-cell scores"), ("p", INTRO_HEATMAPS)]
    for p in images.get("heatmaps", []):
        out.append(("heatmap", links[p]) if p in links and images.get("viewer") else ("img", p))
    if t["by_distance"].rows:
        out += [("h3", "By distance from training"), ("table", t["by_distance"])]
    out += [("h3", "By symmetry orbit"), ("table", t["by_orbit"])]
    out += [("h3", "Every layout"), ("table", t["cells"])]
    out += quality_blocks(report, images)  # when bttt analyse has judged the moves
    out.append(("links", [(f"{k}.csv", f"{k}.csv") for k in t]))
    return out


def _distinct(report) -> int | None:
    stats = getattr(report, "stats", None)
    return None if stats is None else stats.distinct_games


def markdown_page(report, images: dict[str, list[str]]) -> str:
    md: list[str] = []
    for kind, content in blocks(report, images):
        if kind in ("h1", "h2", "h3"):
            md.append("#" * int(kind[1]) + " " + str(content))
        elif kind == "p":
            md.append(str(content))
        elif kind == "table":
            md.append(content.markdown())
        elif kind == "img":
            md.append(f"![{content.rsplit('.', 1)[0]}]({content})")
        elif kind == "heatmap":
            md.append(f"![{content['file'].rsplit('.', 1)[0]}]({content['file']})")
        elif kind == "training":
            md.append(f"[Training run]({content}): its losses, policy entropy and evaluation scores.")
        elif kind == "viewer":
            md.append(
                f"[Game viewer]({content}): every game, move by move, filtered by agent, cell, colour and result."
            )
        elif kind == "links":
            md.append("CSV files: " + ", ".join(f"[{text}]({href})" for text, href in content))
        md.append("")
    return "\n".join(md)


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in table.rows)
    note = f"<p class='note'>{html.escape(table.note)}</p>" if table.note else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{note}"


def _html_heatmap(links: dict) -> str:
    """A heatmap whose played cells link to their games in the viewer (boxes in percent of the image)."""
    file = html.escape(links["file"])
    areas = []
    for a in links["areas"]:
        left, top, width, height = (100 * b for b in a["box"])
        query = {"agent": links["agent"], "cell": a["cell"], **({"colour": a["colour"]} if a["colour"] else {})}
        title = f"{links['agent']}: games with the brick on {a['cell']}" + (f" as {a['colour']}" if a["colour"] else "")
        areas.append(
            f"<a href='games.html#{html.escape(urlencode(query))}' title='{html.escape(title)}' "
            f"style='left:{left:.3f}%;top:{top:.3f}%;width:{width:.3f}%;height:{height:.3f}%'></a>"
        )
    return f"<p class='heatmap'><img src='{file}' alt='{file}'>{''.join(areas)}</p>"


def html_page(report, images: dict[str, list[str]]) -> str:
    body: list[str] = []
    for kind, content in blocks(report, images):
        if kind in ("h1", "h2", "h3"):
            body.append(f"<{kind}>{html.escape(str(content))}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{html.escape(str(content))}</p>")
        elif kind == "table":
            body.append(_html_table(content))
        elif kind == "img":
            body.append(f"<p><img src='{html.escape(content)}' alt='{html.escape(content)}'></p>")
        elif kind == "heatmap":
            body.append(_html_heatmap(content))
        elif kind == "training":
            body.append(
                f"<p><a href='{html.escape(content)}'>Training run</a>: its losses, policy entropy and evaluation "
                "scores.</p>"
            )
        elif kind == "viewer":
            body.append(
                f"<p class='viewer'><a href='{html.escape(content)}'>Game viewer</a>: every game, move by move, "
                "filtered by agent, cell, colour and result. Click a cell of a heatmap to see its games.</p>"
            )
        elif kind == "links":
            links = ", ".join(f"<a href='{html.escape(h)}'>{html.escape(t)}</a>" for t, h in content)
            body.append(f"<p>CSV files: {links}</p>")
    style = (
        "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;"
        "text-align:right}td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:90%}"
        "img{max-width:100%}.heatmap{position:relative;display:inline-block;max-width:100%;line-height:0}"
        ".heatmap img{display:block}.heatmap a{position:absolute}.heatmap a:hover{outline:2px solid #06c}"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>bttt tournament report</title>"
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
