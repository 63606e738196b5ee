"""The game viewer's files without a browser: its data document, the analysis field, the heatmap links, the report
folder's marker (stale files removed), and the terminal heatmap's columns."""

from __future__ import annotations

import json

import numpy as np
import pytest
import small_tournament

from tournament.report import REPORT_MARKER, build_report, heatmap_text, write_report
from tournament.viewer import check_analysis, viewer_data


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return small_tournament.build(tmp_path_factory.mktemp("viewer") / "t.db")


def _data(path):
    text = (path / "games-data.js").read_text()
    assert text.startswith("window.BTTT_GAMES = ") and text.rstrip().endswith(";")
    return json.loads(text[len("window.BTTT_GAMES = ") : -2])


def test_viewer_files_and_the_marker(db, tmp_path):
    report = build_report(db)
    out = tmp_path / "rep"
    write_report(report, out, figures=True)
    data = _data(out)
    assert data["format"] == "bttt-viewer-games" and len(data["games"]) == report.n_games
    g = data["games"][0]
    stored = next(x for x in report.games if x.id == g["id"])
    assert g["moves"] == stored.moves and g["seed"] == str(stored.seed)
    assert data["agents"][g["o"]]["name"] == stored.p1
    html = (out / "games.html").read_text()
    assert "/*{{JS}}*/" not in html and "BTTT_GAMES" in html and "http" not in html.replace("http://www.w3.org", "")
    index = (out / "index.html").read_text()
    assert "href='games.html'" in index and "games.html#agent=" in index
    marker = json.loads((out / REPORT_MARKER).read_text())
    assert {"games.html", "games-data.js", "ratings.png", "by_distance.png"} <= set(marker["files"])
    # --no-figures: the figures of the earlier report go, the viewer stays and is listed
    write_report(report, out, figures=False)
    assert not list(out.glob("*.png"))
    assert (out / "games.html").exists() and "games-data.js" in json.loads((out / REPORT_MARKER).read_text())["files"]
    assert "games.html#agent=" not in (out / "index.html").read_text()  # no heatmaps to link from


def test_heatmap_links_lie_on_the_image(db, tmp_path):
    from tournament.figures import write_figures

    report = build_report(db)
    files = write_figures(report, tmp_path)
    for doc in map(json.loads, files["heatmap_links"]):
        cells = {(a["cell"], a["colour"]) for a in doc["areas"]}
        assert {("D4", "O"), ("E5", "X"), ("A1", None)} <= cells
        for a in doc["areas"]:
            left, top, width, height = a["box"]
            assert 0 < left < left + width < 1 and 0 < top < top + height < 1 and 0.01 < width < 0.1
        xs = sorted({a["box"][0] for a in doc["areas"] if a["colour"] == "O"})
        assert xs[0] < 1 / 3 and all(a["box"][0] > 0.55 for a in doc["areas"] if a["colour"] is None)


def test_analysis_field_is_checked():
    good = [None, {"verdict": "blunder", "value": "X wins in 3"}]
    assert check_analysis(good, 2, 1) == good
    for bad in ([None], [None, {"verdict": "great", "value": "x"}], [None, {"verdict": "optimal"}]):
        with pytest.raises(ValueError):
            check_analysis(bad, 2, 1)


def test_viewer_data_carries_the_analysis(db):
    report = build_report(db)
    g = report.games[0]
    entries = [{"verdict": "optimal", "value": "draw"}] * g.plies
    data = viewer_data(report, {g.id: entries})
    assert next(x for x in data["games"] if x["id"] == g.id)["analysis"] == entries
    assert all("analysis" not in x for x in data["games"] if x["id"] != g.id)


def test_terminal_heatmap_numbers_sit_under_their_column(db):
    report = build_report(db)
    g = report.generalization[0]
    text = heatmap_text(g, "a", report.config)
    lines = text.splitlines()
    header = lines[1]
    grid = g.heatmaps()["all"]
    for r, line in enumerate(lines[2:]):
        for c in range(7):
            end = header.index(str(c + 1)) if c < 9 else None
            cell = line[end - 3 : end + 1].strip().rstrip("*")
            assert cell == ("." if np.isnan(grid[r, c]) else f"{100 * grid[r, c]:.0f}"), (r, c, line)
    assert all(line == line.rstrip() for line in lines)
