"""One stored game as terminal text (``bttt show``): who played which colour, the brick, the opening, the board
after every ply (or one chosen ply) with each move's time, and the result, the winning line in lower case."""

from __future__ import annotations

from bttt.cells import cell_name, parse_cells
from bttt.errors import BtttError
from bttt.layouts import parse_layout
from bttt.rules import Rules
from bttt.state import GameState
from tournament.game_query import Tournament, outcome
from tournament.play import CRASH, FAULTS
from tournament.store import GameRow
from tournament.tables import Table


def game_states(t: Tournament, g: GameRow) -> list[GameState]:
    """The position before the first move and after every ply (``len(moves) + 1`` states)."""
    rules = Rules(t.rows, t.cols, t.config["win_length"], parse_layout(g.layout, t.rows, t.cols))
    state = GameState(rules)
    out = [state.clone()]
    for move in parse_cells(g.moves, t.rows, t.cols) if g.moves else ():
        state.apply_action(move)
        out.append(state.clone())
    return out


def ply_time(g: GameRow, ply: int) -> float | None:
    """Seconds the agent took for ``ply`` (1-based); None for an opening move."""
    k = ply - 1 - g.opening_plies
    return g.move_times[k] if 0 <= k < len(g.move_times) else None


def seconds_text(seconds: float) -> str:
    """A move time people read at a glance: ``12.3 ms``, ``85 µs``, ``2.41 s``."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.1f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.0f} µs"


def result_line(t: Tournament, g: GameRow) -> str:
    label = t.labels
    if g.termination == CRASH:
        return f"No result: the game's worker kept dying ({g.fault_detail}); it counts for nobody."
    if g.winner == 0:
        return f"Draw: the board is full after {g.plies} plies."
    mark = "O" if g.winner == 1 else "X"
    who = f"{mark} (player {g.winner}, {label[g.p1 if g.winner == 1 else g.p2]})"
    if g.termination in FAULTS:
        loser = label[g.p1 if g.fault_player == 1 else g.p2]
        return f"{who} wins: {loser} lost by {g.termination} at ply {g.plies + 1} ({g.fault_detail})."
    line = game_states(t, g)[-1].winning_line()
    cells = " ".join(cell_name(c, t.rows, t.cols) for c in line)
    return f"{who} wins after {g.plies} plies with the line {cells} (lower case on the board)."


def header(t: Tournament, g: GameRow) -> str:
    opening = f"opening {g.opening} ({g.opening_plies} plies)" if g.opening else "from the empty board"
    agent_time = sum(g.move_times)
    return "\n".join(
        [
            f"Game {g.id} of {t.path}",
            f"O (player 1, moves first): {t.labels[g.p1]}",
            f"X (player 2): {t.labels[g.p2]}",
            f"Bricks {g.layout} ({t.rows}x{t.cols}, {t.config['win_length']} in a row); {opening}; game {g.index} "
            f"of this pairing; seed {g.seed}",
            f"{g.plies} plies, {agent_time:.3f} s of agent time, {g.wall_time:.3f} s wall time; termination "
            f"{g.termination}",
        ]
    )


def show_game(t: Tournament, g: GameRow, ply: int | None = None) -> str:
    """The game as text: every ply's board, or only the board after ``ply`` (0 = before the first move)."""
    states = game_states(t, g)
    if ply is not None and not 0 <= ply < len(states):
        raise BtttError(f"--ply {ply}: game {g.id} has plies 0..{len(states) - 1}")
    parts = [header(t, g), ""]
    plies = range(len(states)) if ply is None else [ply]
    for k in plies:
        state = states[k]
        if k == 0:
            title = "Start position (brick only)"
        else:
            mark = "O" if k % 2 == 1 else "X"
            took = ply_time(g, k)
            timing = " (opening)" if took is None else f" ({seconds_text(took)})"
            title = f"Ply {k}. {mark} plays {cell_name(state.history[-1], t.rows, t.cols)}{timing}"
        parts += [title, state.__str__(), ""]
    if g.termination in FAULTS and g.termination != CRASH and (ply is None or ply == len(states) - 1):
        failed = g.move_times[-1] if len(g.move_times) > g.plies - g.opening_plies else None
        took = f" after {seconds_text(failed)}" if failed is not None else ""
        parts += [f"Ply {g.plies + 1}: no move{took} ({g.termination}).", ""]
    parts.append(result_line(t, g))
    return "\n".join(parts)


def game_list(t: Tournament, games: list[GameRow], agent: str | None = None) -> Table:
    """One line per game: id, players, bricks, opening, result (for ``agent`` when given) and plies."""
    t_out = Table(
        f"{len(games)} games of {t.path}" + (f" with {t.labels[agent]}" if agent else ""),
        ["id", "O (player 1)", "X (player 2)", "bricks", "opening", "result", "termination", "plies"],
    )
    for g in games:
        if agent is not None:
            seat = 1 if g.p1 == agent else 2
            result = f"{outcome(g, seat)} as {'O' if seat == 1 else 'X'}"
        else:
            result = {1: "O wins", 2: "X wins", 0: "draw"}[g.winner] if g.termination != CRASH else "no result"
        t_out.rows.append(
            [
                str(g.id),
                t.labels[g.p1],
                t.labels[g.p2],
                g.layout,
                g.opening.partition(":")[2] if g.opening else "-",
                result,
                g.termination,
                str(g.plies),
            ]
        )
    return t_out
