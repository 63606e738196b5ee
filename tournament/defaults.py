"""What a tournament plays when the command line does not say: defined once, read by the driver and the CLI.

(A module of constants only, so ``bttt tournament --help`` can show them without loading the game engine.)
"""

from __future__ import annotations

#: The paper's three opponents, an MCTS that is measurably stronger (8x the paper's iterations) and the shipped
#: AlphaZero network trained with the brick on D4: with the default suite and games this takes a few minutes on two
#: cores (see docs/tournament.md).
DEFAULT_AGENTS = (
    "random",
    "minimax:preset=paper",
    "mcts:preset=paper",
    "mcts:iterations=20000,c=1.0,leaf=heuristic",
    "alphazero:checkpoint=d4",
)
#: The paper's training cell, applied to the search controls of a default tournament so that their per-cell scores
#: split the same way as the D4-trained network's.
DEFAULT_TRAIN = "D4"
DEFAULT_SUITE = "all"
#: Every game of a layout starts from one of 2 opening positions of 4 plies (neither side wins within 7 plies:
#: tournament.opening_judges.default_judge),
#: played once with each colour: the same 1,960 games as 2 games from the empty board, but distinct ones
#: (deterministic agents replay the same game from the same start).
DEFAULT_OPENINGS = 2
DEFAULT_OPENING_PLIES = 4
DEFAULT_GAMES = 1
DEFAULT_DB = "bttt-tournament.db"
DEFAULT_REPORT = "bttt-report"
DEFAULT_MAX_CRASHES = 2
