"""The report in a real browser: Debian's headless chromium driven by Playwright (``pip install 'bttt[browser]'``,
``apt-get install chromium``; no browser is downloaded). Loads the report of a small tournament, checks that every
image and link resolves, filters the game viewer, steps through a game with the keys and checks the board against
the stored moves, follows a heatmap cell to its games, shows move verdicts from a hand-built analysis, and saves
screenshots (into ``$BTTT_SCREENSHOTS`` when set).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import small_tournament

from bttt.cells import cell_name
from tournament.game_query import GameFilter, load_tournament, select
from tournament.game_text import game_states

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTH = 1280


def _skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install 'bttt[browser]')"
    if not Path(CHROMIUM).exists():
        return f"no browser at {CHROMIUM} (apt-get install chromium)"
    return None


pytestmark = [pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or ""), pytest.mark.slow]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    where = tmp_path_factory.mktemp("browser")
    small_tournament.build(where / "t.db", where / "report", figures=True)
    return where


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # nothing may come from a network: every request must be a local file
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    yield page
    assert not errors, errors
    page.close()


def _screenshot(page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    keep = os.environ.get("BTTT_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def _board(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        "#board g[data-cell]", "gs => Object.fromEntries(gs.map(g => [g.dataset.cell, g.dataset.stone]))"
    )


def _expected(state) -> dict[str, str]:
    board = state.board()
    rows, cols = board.shape
    return {cell_name(r * cols + c, rows, cols): " OXB"[board[r, c]].strip() for r in range(rows) for c in range(cols)}


def test_every_image_and_link_of_the_report_resolves(report, page):
    out = report / "report"
    for name in ("index.html", "games.html"):
        page.goto((out / name).as_uri())
        page.wait_for_load_state("load")
        images = page.eval_on_selector_all("img", "xs => xs.map(x => [x.getAttribute('src'), x.naturalWidth])")
        assert all(width > 0 for _, width in images), images
        for href in page.eval_on_selector_all("a[href]", "xs => xs.map(x => x.href)"):
            url = urlparse(href)
            assert url.scheme == "file", href
            assert Path(unquote(url.path)).is_file(), href
    page.goto((out / "index.html").as_uri())
    assert page.locator("img").count() >= 4  # ratings, by distance, three heatmaps
    _screenshot(page, report / "index.png")


def test_filter_step_and_check_the_board(report, page):
    t = load_tournament(report / "t.db")
    page.goto((report / "report" / "games.html").as_uri())
    assert page.locator("#games tbody tr").count() == len(t.games)
    label = next(lab for name, lab in t.labels.items() if "raiser" in name)
    page.select_option("#f-agent", label)
    page.select_option("#f-result", "loss")
    expected = select(t, GameFilter(agent=label, result="loss"))
    ids = page.eval_on_selector_all("#games tbody tr", "rs => rs.map(r => Number(r.dataset.id))")
    assert ids == [g.id for g in expected] and ids
    page.select_option("#f-colour", "X")
    ids = page.eval_on_selector_all("#games tbody tr", "rs => rs.map(r => Number(r.dataset.id))")
    assert ids == [g.id for g in select(t, GameFilter(agent=label, result="loss", colour="X"))]
    page.select_option("#f-colour", "")
    page.select_option("#f-agent", "")
    page.select_option("#f-result", "")
    game = next(g for g in t.games if g.termination == "win")
    page.click(f"#games tbody tr[data-id='{game.id}']")
    page.locator("body").click(position={"x": 5, "y": 5})  # keys go to the page, not to a select
    states = game_states(t, game)
    assert _board(page) == _expected(states[0])
    for k in range(1, len(states)):
        page.keyboard.press("ArrowRight")
        assert page.inner_text("#ply") == f"ply {k} of {game.plies}"
        assert _board(page) == _expected(states[k]), f"ply {k}"
    line = [cell_name(c) for c in states[-1].winning_line()]
    assert page.get_attribute("#board line.win", "data-line") == ",".join(line)
    _screenshot(page, report / "games.png")
    page.keyboard.press("ArrowLeft")
    assert _board(page) == _expected(states[-2]) and page.locator("#board line.win").count() == 0
    page.keyboard.press("Home")
    assert _board(page) == _expected(states[0])
    page.keyboard.press("End")
    assert _board(page) == _expected(states[-1])
    assert f"game={game.id}" in page.url and f"ply={game.plies}" in page.url


def test_a_heatmap_cell_opens_its_games(report, page):
    t = load_tournament(report / "t.db")
    page.goto((report / "report" / "index.html").as_uri())
    link = page.locator(".heatmap a[title*='E5 as O']").first
    title = link.get_attribute("title")
    label = title.split(": games")[0]
    box = link.bounding_box()
    image = page.locator(".heatmap img").first.bounding_box()
    assert box["width"] > 10 and image["x"] <= box["x"] <= image["x"] + image["width"]
    link.click()
    page.wait_for_url("**/games.html#*")
    ids = page.eval_on_selector_all("#games tbody tr", "rs => rs.map(r => Number(r.dataset.id))")
    assert ids == [g.id for g in select(t, GameFilter(agent=label, cell="E5", colour="O"))] and ids
    assert page.input_value("#f-cell") == "E5" and page.input_value("#f-colour") == "O"


def test_move_verdicts_are_coloured(report, page, tmp_path):
    from tournament.report import build_report, write_report

    rep = build_report(report / "t.db")
    game = next(g for g in rep.games if g.termination == "win")
    verdicts = ["optimal", "inaccuracy", "blunder", "undecided"]
    rep.analysis = {
        game.id: [
            None if k < game.opening_plies else {"verdict": verdicts[k % 4], "value": f"value {k + 1}"}
            for k in range(game.plies)
        ]
    }
    write_report(rep, tmp_path / "analysed", figures=False)
    page.goto((tmp_path / "analysed" / "games.html").as_uri() + f"#game={game.id}&ply={game.opening_plies + 3}")
    k = game.opening_plies + 2  # the ply on view, 0-based
    assert page.inner_text("#value") == f"After ply {k + 1}: value {k + 1} ({verdicts[k % 4]})"
    classes = page.eval_on_selector_all("#moves li", "ls => ls.map(l => l.className)")
    assert all(f"verdict-{verdicts[i % 4]}" in c for i, c in enumerate(classes) if i >= game.opening_plies)
    assert not any("verdict" in c for c in classes[: game.opening_plies])
    colour = page.eval_on_selector(".verdict-blunder", "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(247, 183, 178)"
    assert "blunder" in page.inner_text("#legend")
    _screenshot(page, report / "games-analysed.png")
