"""Elo difference (95% CI) between a pruned AlphaZero agent and its unpruned parent, from a tournament db.

Fits the tournament's Bradley-Terry-Davidson ratings to every stored game and prints each agent's
Elo, the pruned-minus-unpruned difference with its 95% interval (from the joint covariance, not
the two separate intervals), the likelihood of superiority and the head-to-head record.

    python scripts/prune_az_elo.py prune.db --pruned pruned.pt --unpruned final.pt [--anchor mcts]

With ``--anchor`` it also prints each AlphaZero agent's score (wins + draws/2) against that agent as
player 1 and as player 2, on the training cell ``--train`` (default D4) and on all cells.
"""

from __future__ import annotations

import argparse
import sys

from tournament.rating import ELO_PER_NAT, Z95, fit_ratings, outcome_counts
from tournament.store import Store


def _find(names: list[str], needle: str) -> int:
    hits = [i for i, n in enumerate(names) if needle in n]
    if len(hits) != 1:
        raise SystemExit(f"{needle!r} matches {len(hits)} agents: {names}")
    return hits[0]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("db")
    p.add_argument("--pruned", required=True, help="substring of the pruned agent's name")
    p.add_argument("--unpruned", required=True, help="substring of the unpruned agent's name")
    p.add_argument("--anchor", help="substring of one stored agent's name to score against (e.g. mcts)")
    p.add_argument("--train", default="D4", help="layout reported separately with --anchor (default D4)")
    args = p.parse_args(argv)
    with Store(args.db, create=False) as store:
        names = [n for n, _, _ in store.agents()]
        rows = store.games()
    games = [(g.p1, g.p2, g.winner) for g in rows]
    r = fit_ratings(outcome_counts(games, names), names)
    for i in r.order():
        print(f"{r.elo[i]:+7.0f} +-{r.elo_ci[i]:4.0f}  {names[i]}  ({int(r.games[i])} games)")
    a, b = _find(names, args.pruned), _find(names, args.unpruned)
    d = (r.theta[a] - r.theta[b]) * ELO_PER_NAT
    ci = Z95 * r.diff_se(a, b) * ELO_PER_NAT
    print(
        f"\npruned - unpruned: {d:+.0f} Elo, 95% CI [{d - ci:+.0f}, {d + ci:+.0f}], "
        f"P(pruned stronger) = {r.los(a, b):.2f}"
    )
    w = sum(1 for p1, p2, wi in games if (p1, p2, wi) in ((names[a], names[b], 1), (names[b], names[a], 2)))
    lo = sum(1 for p1, p2, wi in games if (p1, p2, wi) in ((names[a], names[b], 2), (names[b], names[a], 1)))
    dr = sum(1 for p1, p2, wi in games if {p1, p2} == {names[a], names[b]} and wi == 0)
    print(f"head to head (pruned's view): {w} wins, {dr} draws, {lo} losses")
    if args.anchor:
        anchor = names[_find(names, args.anchor)]
        print(f"\nscore against {anchor} (wins + draws/2 / games): {args.train} as P1, as P2; all layouts as P1, as P2")
        for name in names:
            if name == anchor or not name.startswith("alphazero"):
                continue
            cells = []
            for layouts in ({args.train}, None):
                for me, seat in ((1, "p1"), (2, "p2")):
                    mine = [
                        g
                        for g in rows
                        if getattr(g, seat) == name
                        and {g.p1, g.p2} == {name, anchor}
                        and (layouts is None or g.layout in layouts)
                    ]
                    pts = sum(1.0 if g.winner == me else 0.5 if g.winner == 0 else 0.0 for g in mine)
                    cells.append(f"{pts:g}/{len(mine)}")
            print(f"  {'  '.join(f'{c:>7}' for c in cells)}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
