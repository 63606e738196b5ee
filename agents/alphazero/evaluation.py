"""Periodic evaluation during training: the current network against fixed opponents.

The network plays with search (no noise, most-visited move) against agents from the
registry (``random``, ``mcts:preset=paper``, ...) on its training layouts and on a
few *novel* single-brick cells from symmetry orbits it never saw, once as player 1
and once as player 2 per game pair. All network games of a round search together
in one :class:`BatchedMCTS`; opponents move one by one. The scores per iteration
form the generalization curve (``eval.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.alphazero.augment import augmented_cells
from agents.alphazero.config import TrainConfig
from agents.alphazero.search import BatchedMCTS, Evaluate, SearchConfig
from agents.registry import make_agent
from bttt import GameState, Rules, symmetry
from bttt.layouts import Layout, layout_name

MAX_TRAIN_LAYOUTS = 10  # a wide distribution ("random") is evaluated on one cell per symmetry orbit


@dataclass(frozen=True)
class EvalLayout:
    layout: Layout
    group: str  # "train" or "novel"


def eval_layouts(cfg: TrainConfig) -> list[EvalLayout]:
    """Training layouts (at most one per orbit for wide distributions) plus ``eval_novel`` novel cells.

    Novel cells come from orbits that contain no brick cell seen in training (after
    augmentation), nearest to the board centre first.
    """
    dist = cfg.distribution()
    layouts = list(dist.layouts)
    if len(layouts) > MAX_TRAIN_LAYOUTS:
        members = set(layouts)
        reps = [(c,) for c in symmetry.orbit_representatives(cfg.rows, cfg.cols) if (c,) in members]
        layouts = reps[:MAX_TRAIN_LAYOUTS] if reps else layouts[:MAX_TRAIN_LAYOUTS]
    out = [EvalLayout(tuple(lay), "train") for lay in layouts]
    if cfg.rows != cfg.cols:
        return out  # orbits of a rectangle are not defined by bttt.symmetry's square transforms alone
    seen = set(augmented_cells(dist, cfg.augment))
    centre = ((cfg.rows - 1) / 2, (cfg.cols - 1) / 2)
    novel = [o for o in symmetry.brick_orbits(cfg.rows, cfg.cols) if not seen.intersection(o)]
    novel.sort(key=lambda o: (abs(o[0] // cfg.cols - centre[0]) + abs(o[0] % cfg.cols - centre[1]), o[0]))
    out.extend(EvalLayout((o[0],), "novel") for o in novel[: cfg.eval_novel])
    return out


def play_match(
    evaluate: Evaluate,
    search: SearchConfig,
    opponent: str,
    layouts: list[EvalLayout],
    games_per_colour: int,
    rows: int,
    cols: int,
    win_length: int,
    seed: int,
    colours: tuple[int, ...] = (1, 2),
) -> list[dict]:
    """Play the network against ``opponent`` on every layout in each of ``colours``; one row per game."""
    base = Rules(rows, cols, win_length, None)
    games = []
    for li, _el in enumerate(layouts):
        for colour in colours:
            for g in range(games_per_colour):
                games.append((li, colour, g))
    if not games:
        return []
    ss = np.random.SeedSequence(seed)
    opp_seeds = ss.generate_state(len(games))
    states = [GameState(base.with_bricks(layouts[li].layout)) for li, _, _ in games]
    opponents = [make_agent(opponent, seed=int(s)) for s in opp_seeds]
    for agent in opponents:
        agent.reset()
    mcts = BatchedMCTS(search, len(games), base, seed=int(ss.generate_state(1)[0]))
    while True:
        ours = [
            i for i, (_, colour, _) in enumerate(games) if not states[i].is_terminal() and states[i].to_move == colour
        ]
        theirs = [
            i for i, (_, colour, _) in enumerate(games) if not states[i].is_terminal() and states[i].to_move != colour
        ]
        if not ours and not theirs:
            break
        if ours:
            visits = mcts.search([states[i] for i in ours], evaluate, add_noise=False, trees=ours)
            for row, i in enumerate(ours):
                action = int(np.argmax(visits[row]))
                states[i].apply_action(action)
                mcts.advance(i, action)
        for i in theirs:
            action = int(opponents[i].step(states[i].clone()))
            states[i].apply_action(action)
            mcts.advance(i, action)
    rows_out = []
    for i, (li, colour, g) in enumerate(games):
        winner = states[i].winner
        score = 0.5 if winner == 0 else float(winner == colour)
        rows_out.append(
            {
                "opponent": opponent,
                "layout": layout_name(layouts[li].layout, rows, cols),
                "group": layouts[li].group,
                "colour": colour,
                "game": g,
                "score": score,
                "plies": states[i].move_number(),
            }
        )
    return rows_out


def summarise(games: list[dict]) -> list[dict]:
    """Aggregate per-game rows into (opponent, group, colour) rows with wins/draws/losses/score."""
    keys = sorted({(g["opponent"], g["group"], g["colour"]) for g in games})
    out = []
    for opp, group, colour in keys:
        sel = [g for g in games if (g["opponent"], g["group"], g["colour"]) == (opp, group, colour)]
        wins = sum(g["score"] == 1.0 for g in sel)
        draws = sum(g["score"] == 0.5 for g in sel)
        out.append(
            {
                "opponent": opp,
                "group": group,
                "colour": colour,
                "games": len(sel),
                "wins": wins,
                "draws": draws,
                "losses": len(sel) - wins - draws,
                "score": round(float(np.mean([g["score"] for g in sel])), 4),
            }
        )
    return out


def run_evaluation(evaluate: Evaluate, cfg: TrainConfig, seed: int) -> list[dict]:
    """One evaluation round as configured by ``cfg``; returns summary rows (see :func:`summarise`)."""
    if cfg.eval_games == 0 or cfg.eval_simulations == 0:
        return []
    layouts = eval_layouts(cfg)
    search = cfg.search_config(cfg.eval_simulations)
    games: list[dict] = []
    for k, opponent in enumerate(cfg.opponents()):
        games.extend(
            play_match(
                evaluate, search, opponent, layouts, cfg.eval_games, cfg.rows, cfg.cols, cfg.win_length, seed + 7919 * k
            )
        )
    return summarise(games)
