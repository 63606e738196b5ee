"""Game files: every stored game with all its fields, as JSON Lines, CSV or BTTT-PGN (``bttt export``/``import``).

One *record* per game, the same fields in every format (JSON Lines keeps lists and nulls; CSV writes lists as
space-separated text and None as an empty cell; BTTT-PGN is in :mod:`tournament.pgn`)::

    id                 the game's row id in the database it came from (``bttt show --db X ID``)
    p1, p2             canonical agent names; p1 plays O and moves first, p2 plays X
    p1_spec, p2_spec   the specs as given; p1_training_cells, p2_training_cells (cell names; None: declares none)
    p1_digest, ...     the content hash of a pinned checkpoint (None for agents that load no file)
    rules              board and win length, e.g. ``7x7k4``
    layout             the brick layout (``D4``, ``D3+E5``, ``none``)
    opening            the start position's id (``D4:C3,D5``; empty for the empty board); opening_plies
    index              the game's number among those of its pairing, colours, layout and opening
    seed               the game's seed; tournament_seed, games_per_colour, move_time_limit, train: the tournament's
    moves              every move as a cell name, the opening's first
    move_times         seconds per agent move (after the opening); a fault adds the time of the failed move
    plies, winner      number of moves; 1 (O), 2 (X) or 0 (draw, or a crash nobody is blamed for)
    result             ``1-0``, ``0-1``, ``1/2-1/2`` or ``*`` (a crash), from O's side as in PGN
    termination        win, draw, exception, illegal, timeout or crash; fault_player, fault_detail
    wall_time, worker, finished_at

Reading is strict (:func:`read_games`): a file is data, never code (JSON, CSV and text only), and every record is
checked -- fields, types, cell names, a legal replay whose end agrees with the result and termination, seeds that
follow from the tournament seed -- so a damaged or hand-edited file is one error naming its line.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from pathlib import Path

from bttt.cells import cell_name, parse_cells
from bttt.errors import BtttError
from bttt.layouts import parse_layout
from bttt.rules import Rules
from bttt.state import GameState
from tournament.play import CRASH, DRAW, FAULTS, TERMINATIONS, WIN
from tournament.schedule import GameKey

FORMATS = ("jsonl", "csv", "pgn")
FIELDS = (
    "id",
    "p1",
    "p2",
    "p1_spec",
    "p2_spec",
    "p1_training_cells",
    "p2_training_cells",
    "p1_digest",
    "p2_digest",
    "rules",
    "layout",
    "opening",
    "opening_plies",
    "index",
    "seed",
    "tournament_seed",
    "games_per_colour",
    "move_time_limit",
    "train",
    "moves",
    "move_times",
    "plies",
    "winner",
    "result",
    "termination",
    "fault_player",
    "fault_detail",
    "wall_time",
    "worker",
    "finished_at",
)
RESULTS = {1: "1-0", 2: "0-1", 0: "1/2-1/2"}
_INT = ("id", "opening_plies", "index", "seed", "tournament_seed", "games_per_colour", "plies", "winner")
_FLOAT = ("move_time_limit", "wall_time", "finished_at")
_OPTIONAL = {"p1_training_cells", "p2_training_cells", "p1_digest", "p2_digest", "move_time_limit", "train"}
_OPTIONAL |= {"fault_player", "fault_detail", "finished_at", "id"}


class GameFileError(BtttError):
    """A game file that cannot be written or read (the message names the file and line)."""


def result_text(winner: int, termination: str) -> str:
    return "*" if termination == CRASH else RESULTS[winner]


def rules_text(rows: int, cols: int, win_length: int) -> str:
    return f"{rows}x{cols}k{win_length}"


def parse_rules(text: str) -> tuple[int, int, int]:
    try:
        size, k = str(text).lower().split("k")
        rows, cols = size.split("x")
        out = int(rows), int(cols), int(k)
        Rules(*out)
    except (ValueError, BtttError):
        raise ValueError(f"rules {text!r}: expected e.g. 7x7k4 (rows x columns, k in a row)") from None
    return out


def records(games, agents, config: dict) -> list[dict]:
    """One record per game (:class:`tournament.store.GameRow`) with its agents' and tournament's fields."""
    rows, cols = config["rows"], config["cols"]
    info = {name: (spec, cells, digest) for name, spec, cells, digest in agents}
    out = []
    for g in games:
        rec: dict = {"id": g.id, "p1": g.p1, "p2": g.p2}
        for seat, name in (("p1", g.p1), ("p2", g.p2)):
            spec, _, _ = info[name]
            rec[f"{seat}_spec"] = spec
        for seat, name in (("p1", g.p1), ("p2", g.p2)):
            cells = info[name][1]
            rec[f"{seat}_training_cells"] = None if cells is None else [cell_name(c, rows, cols) for c in cells]
        for seat, name in (("p1", g.p1), ("p2", g.p2)):
            rec[f"{seat}_digest"] = info[name][2]
        rec.update(
            rules=rules_text(rows, cols, config["win_length"]),
            layout=g.layout,
            opening=g.opening,
            opening_plies=g.opening_plies,
            index=g.index,
            seed=g.seed,
            tournament_seed=config["seed"],
            games_per_colour=config["games_per_colour"],
            move_time_limit=config.get("move_time_limit"),
            train=",".join(config["train"]) if config.get("train") else None,
            moves=[m for m in g.moves.split(",") if m],
            move_times=list(g.move_times),
            plies=g.plies,
            winner=g.winner,
            result=result_text(g.winner, g.termination),
            termination=g.termination,
            fault_player=g.fault_player,
            fault_detail=g.fault_detail,
            wall_time=g.wall_time,
            worker=g.worker,
            finished_at=g.finished_at,
        )
        out.append(rec)
    return out


# ------------------------------------------------------------------------------------------------------ writing
def dumps(recs: Iterable[dict], fmt: str) -> str:
    """The records as the text of a ``fmt`` file."""
    if fmt == "jsonl":
        return "".join(json.dumps(r, allow_nan=False) + "\n" for r in recs)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(FIELDS)
        writer.writerows([_csv_cell(r[k]) for k in FIELDS] for r in recs)
        return buf.getvalue()
    if fmt == "pgn":
        from tournament.pgn import dumps_pgn

        return dumps_pgn(recs)
    raise GameFileError(f"unknown game file format {fmt!r}: choose {', '.join(FORMATS)}")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(repr(v) if isinstance(v, float) else str(v) for v in value) or "-"
    return repr(value) if isinstance(value, float) else str(value)


# ------------------------------------------------------------------------------------------------------ reading
def guess_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix in FORMATS:
        return suffix
    raise GameFileError(f"{path}: cannot tell the format from the name; pass --format {'|'.join(FORMATS)}")


def read_games(path: str | Path, fmt: str | None = None) -> list[dict]:
    """Every record of a game file, each checked (:func:`check_record`); raises :class:`GameFileError`."""
    path = Path(path)
    fmt = fmt or guess_format(path)
    if fmt not in FORMATS:
        raise GameFileError(f"unknown game file format {fmt!r}: choose {', '.join(FORMATS)}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GameFileError(f"no game file at {path}: write one with 'bttt export --db DB --out {path}'") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GameFileError(f"cannot read {path} as UTF-8 text: {exc}") from None
    if fmt == "jsonl":
        raw = list(_read_jsonl(text, path))
    elif fmt == "csv":
        raw = list(_read_csv(text, path))
    else:
        from tournament.pgn import parse_pgn

        try:
            raw = list(parse_pgn(text))
        except ValueError as exc:
            raise GameFileError(f"{path}:{exc}") from None
    if not raw:
        raise GameFileError(f"{path} holds no games")
    out, seen = [], {}
    for line, rec in raw:
        try:
            rec = check_record(rec)
        except ValueError as exc:
            raise GameFileError(f"{path}:{line}: {exc}") from None
        key = record_key(rec)
        if key in seen:
            raise GameFileError(f"{path}:{line}: the same game as line {seen[key]} (pairing, layout, opening, index)")
        seen[key] = line
        out.append(rec)
    return out


def _read_jsonl(text: str, path: Path):
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line, parse_constant=_no_constant)
        except (json.JSONDecodeError, ValueError) as exc:
            raise GameFileError(f"{path}:{n}: not a JSON object ({exc})") from None
        yield n, rec


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _read_csv(text: str, path: Path):
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise GameFileError(f"{path}:1: {exc}") from None
    missing = [f for f in FIELDS if f not in header]
    if missing:
        raise GameFileError(f"{path}:1: the header lacks {', '.join(missing)}; write the file with 'bttt export'")
    try:
        for row in reader:
            if not row:
                continue
            n = reader.line_num
            if len(row) != len(header):
                raise GameFileError(f"{path}:{n}: {len(row)} cells for {len(header)} columns")
            cells = dict(zip(header, row, strict=True))
            try:
                yield n, _from_csv(cells)
            except ValueError as exc:
                raise GameFileError(f"{path}:{n}: {exc}") from None
    except csv.Error as exc:
        raise GameFileError(f"{path}:{reader.line_num}: {exc}") from None


def _from_csv(cells: dict[str, str]) -> dict:
    rec: dict = {}
    for key in FIELDS:
        text = cells[key]
        if text == "" and key in _OPTIONAL:
            rec[key] = None
        elif key in ("moves", "p1_training_cells", "p2_training_cells"):
            rec[key] = [] if text in ("", "-") else text.split()
        elif key == "move_times":
            rec[key] = [] if text in ("", "-") else [_number(t, key) for t in text.split()]
        elif key in _INT or key == "fault_player":
            rec[key] = _integer(text, key)
        elif key in _FLOAT:
            rec[key] = _number(text, key)
        else:
            rec[key] = text
    return rec


def _integer(text: str, key: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{key} {text!r} is not an integer") from None


def _number(text: str, key: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{key} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{key} {text!r} is not a finite number")
    return value


# ----------------------------------------------------------------------------------------------------- checking
def record_key(rec: dict) -> GameKey:
    return GameKey(rec["p1"], rec["p2"], rec["layout"], rec["index"], rec["opening"])


def check_record(rec) -> dict:
    """The record with its fields typed, or ValueError saying what is wrong with it."""
    if not isinstance(rec, dict):
        raise ValueError("a game record is an object of named fields")
    missing = [f for f in FIELDS if f not in rec]
    if missing:
        raise ValueError(f"missing fields: {', '.join(missing)}")
    unknown = sorted(set(rec) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(unknown)}")
    out = dict(rec)
    for key in FIELDS:
        value = rec[key]
        if value is None:
            if key not in _OPTIONAL:
                raise ValueError(f"{key} is missing (null)")
            continue
        if key in _INT or key == "fault_player":
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{key} {value!r} is not an integer")
        elif key in _FLOAT:
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise ValueError(f"{key} {value!r} is not a number")
            out[key] = float(value)
        elif key == "move_times":
            if not isinstance(value, list) or not all(
                isinstance(t, int | float) and not isinstance(t, bool) and math.isfinite(t) and t >= 0 for t in value
            ):
                raise ValueError("move_times must be a list of non-negative numbers")
            out[key] = [float(t) for t in value]
        elif key in ("moves", "p1_training_cells", "p2_training_cells"):
            if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
                raise ValueError(f"{key} must be a list of cell names")
        elif not isinstance(value, str):
            raise ValueError(f"{key} {value!r} is not text")
    _check_game(out)
    return out


def _check_game(rec: dict) -> None:
    """The game itself: a legal replay whose end, result and seed agree with the record."""
    try:
        rows, cols, k = parse_rules(rec["rules"])
        layout = parse_layout(rec["layout"], rows, cols)
        moves = parse_cells(rec["moves"], rows, cols)
        for seat in ("p1", "p2"):
            if rec[f"{seat}_training_cells"] is not None:
                parse_cells(rec[f"{seat}_training_cells"], rows, cols)
        if rec["train"] is not None:
            parse_cells(rec["train"], rows, cols)
    except BtttError as exc:
        raise ValueError(str(exc)) from None
    if rec["p1"] == rec["p2"] or not rec["p1"] or not rec["p2"]:
        raise ValueError("p1 and p2 must be two different agents")
    if rec["plies"] != len(moves):
        raise ValueError(f"plies {rec['plies']} for {len(moves)} moves")
    if not 0 <= rec["opening_plies"] <= len(moves):
        raise ValueError(f"opening_plies {rec['opening_plies']} outside 0..{len(moves)}")
    _check_opening(rec, rows, cols)
    if rec["index"] < 0 or rec["games_per_colour"] < 1 or rec["index"] >= rec["games_per_colour"]:
        raise ValueError(f"index {rec['index']} outside the {rec['games_per_colour']} games per colour")
    if rec["seed"] != record_key(rec).seed(rec["tournament_seed"]):
        raise ValueError("the game's seed does not follow from the tournament seed and the game's identity")
    state = GameState(Rules(rows, cols, k, layout))
    for ply, move in enumerate(moves, 1):
        try:
            state.apply_action(move)
        except BtttError as exc:
            raise ValueError(f"ply {ply}: {exc}") from None
    _check_end(rec, state)


def _check_opening(rec: dict, rows: int, cols: int) -> None:
    opening, plies = rec["opening"], rec["opening_plies"]
    if not opening:
        if plies:
            raise ValueError(f"opening_plies {plies} without an opening")
        return
    if rec["termination"] == CRASH and not rec["moves"]:  # a game whose worker kept dying: no moves recorded
        layout, _, moves = opening.rpartition(":")
        try:
            ok = layout == rec["layout"] and (moves == "-" or bool(parse_cells(moves, rows, cols)))
        except BtttError:
            ok = False
    else:
        ok = opening == f"{rec['layout']}:{','.join(rec['moves'][:plies]) or '-'}"
    if not ok:
        raise ValueError(f"opening {opening!r} does not match the layout and the first {plies} moves")


def _check_end(rec: dict, state: GameState) -> None:
    winner, termination, fault = rec["winner"], rec["termination"], rec["fault_player"]
    if termination not in TERMINATIONS:
        raise ValueError(f"termination {termination!r}: one of {', '.join(TERMINATIONS)}")
    if winner not in RESULTS or rec["result"] != result_text(winner, termination):
        raise ValueError(f"result {rec['result']!r} does not match winner {winner!r} and termination {termination}")
    agent_moves = rec["plies"] - rec["opening_plies"]
    if termination in (WIN, DRAW):
        if not state.is_terminal() or state.winner != winner or (termination == DRAW) != (winner == 0):
            raise ValueError(f"the moves do not end in the recorded {termination} (winner {winner})")
        if fault is not None or len(rec["move_times"]) != agent_moves:
            raise ValueError(f"a finished game has one time per agent move ({agent_moves}) and no fault")
    elif termination == CRASH:
        if winner != 0 or fault is not None:
            raise ValueError("a crash blames nobody: winner 0, no fault_player")
    else:
        if fault not in (1, 2) or winner != 3 - fault or state.is_terminal() or state.to_move != fault:
            raise ValueError(f"a {termination} is a loss of the player to move (fault_player), won by the other")
        if len(rec["move_times"]) != agent_moves + 1:
            raise ValueError(f"a fault has the time of each agent move and of the failed one ({agent_moves + 1})")
    if termination in FAULTS and not rec["fault_detail"]:
        raise ValueError(f"a {termination} needs its fault_detail")
