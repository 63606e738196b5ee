"""BTTT-PGN: a small PGN-like text format for Brick Tic-Tac-Toe games (``bttt export --format pgn``).

Like chess PGN, a file is a list of games, each a block of tag pairs and then its move text, games separated by a
blank line::

    [Event "bttt tournament"]
    [Game "12"]
    [Rules "7x7k4"]
    [Bricks "D4"]
    [O "minimax:depth=4"]
    [X "random"]
    [OSpec "minimax:depth=4"]
    [XSpec "random"]
    [Opening "D4:C3,D5"]
    [OpeningPlies "2"]
    [Index "0"]
    [Seed "5117004183423650712"]
    [TournamentSeed "0"]
    [GamesPerColour "1"]
    [Result "1-0"]
    [Termination "win"]
    [WallTime "0.0412"]
    [Worker "host:1234"]
    [FinishedAt "1767225600.5"]

    1. C3 D5 2. E4 {[%emt 0.0102]} A1 {[%emt 1e-05]} 3. F3 {[%emt 0.0098]} ... 1-0

*Tags* are ``[Name "value"]``, one a line, with ``\\"`` and ``\\\\`` escaped as in PGN (and a line break as
``\\n``). ``O`` and ``X`` are the canonical agent names (O, player 1, moves first). Optional tags, absent when they
do not apply: ``OTrainingCells`` / ``XTrainingCells`` (cell names separated by spaces, ``-`` for an empty list;
absent when the agent declares none), ``ODigest`` / ``XDigest`` (a pinned checkpoint's content hash), ``Opening``
and ``OpeningPlies`` (absent for the empty board), ``MoveTimeLimit`` and ``Train`` (the tournament's),
``FaultPlayer`` and ``FaultDetail``, ``FinishedAt``, ``Game`` (the row id in the exported database). Every other
tag above is required.

*Move text* lists every move as a cell name, the opening's first, with a move number before each of O's moves
(``1.``, ``2.``, ...). The time an agent took for a move follows it as a ``{[%emt SECONDS]}`` comment (the opening's
moves have none); when an agent failed to move (a fault), the time of the failed attempt is a last
``{[%emt SECONDS] fault}`` comment. Other ``{...}`` comments are ignored, and so are lines starting with ``%``. The
move text ends with the result: ``1-0`` (O won), ``0-1`` (X won), ``1/2-1/2`` (draw) or ``*`` (a crash that blames
nobody). Numbers are written so that reading them back gives exactly the stored values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

#: tag name -> record field, in the order tags are written.
TAGS = {
    "Game": "id",
    "Rules": "rules",
    "Bricks": "layout",
    "O": "p1",
    "X": "p2",
    "OSpec": "p1_spec",
    "XSpec": "p2_spec",
    "OTrainingCells": "p1_training_cells",
    "XTrainingCells": "p2_training_cells",
    "ODigest": "p1_digest",
    "XDigest": "p2_digest",
    "Opening": "opening",
    "OpeningPlies": "opening_plies",
    "Index": "index",
    "Seed": "seed",
    "TournamentSeed": "tournament_seed",
    "GamesPerColour": "games_per_colour",
    "MoveTimeLimit": "move_time_limit",
    "Train": "train",
    "Result": "result",
    "Termination": "termination",
    "FaultPlayer": "fault_player",
    "FaultDetail": "fault_detail",
    "WallTime": "wall_time",
    "Worker": "worker",
    "FinishedAt": "finished_at",
}
_INT_TAGS = {"Game", "OpeningPlies", "Index", "Seed", "TournamentSeed", "GamesPerColour", "FaultPlayer"}
_FLOAT_TAGS = {"MoveTimeLimit", "WallTime", "FinishedAt"}
_LIST_TAGS = {"OTrainingCells", "XTrainingCells"}
_OPTIONAL_TAGS = {"Game", "OTrainingCells", "XTrainingCells", "ODigest", "XDigest", "Opening", "OpeningPlies"}
_OPTIONAL_TAGS |= {"MoveTimeLimit", "Train", "FaultPlayer", "FaultDetail", "FinishedAt"}
_TAG_RE = re.compile(r'^\[([A-Za-z][A-Za-z0-9_]*)\s+"((?:[^"\\]|\\.)*)"\]\s*$')
_TOKEN_RE = re.compile(r"\{[^}]*\}|\d+\.(?:\.\.)?|1-0|0-1|1/2-1/2|\*|[^\s{}]+")
_EMT_RE = re.compile(r"^\{\s*\[%emt\s+([^\]\s]+)\s*\]\s*(fault)?\s*\}$")
RESULT_TOKENS = ("1-0", "0-1", "1/2-1/2", "*")


def _number(value: float | int) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def dumps_pgn(records) -> str:
    """The records (:func:`tournament.gamefile.records`) as BTTT-PGN text."""
    return "\n".join(_game_text(r) for r in records)


def _game_text(rec: dict) -> str:
    lines = ['[Event "bttt tournament"]']
    for tag, key in TAGS.items():
        value = rec[key]
        if value is None or (tag in ("Opening", "OpeningPlies") and not rec["opening"]):
            continue
        if tag in _LIST_TAGS:
            text = " ".join(value) or "-"
        elif isinstance(value, int | float):
            text = _number(value)
        else:
            text = str(value)
        lines.append(f'[{tag} "{_escape(text)}"]')
    tokens, times = [], list(rec["move_times"])
    for ply, move in enumerate(rec["moves"]):
        if ply % 2 == 0:
            tokens.append(f"{ply // 2 + 1}.")
        tokens.append(move)
        if ply >= rec["opening_plies"] and times:
            tokens.append(f"{{[%emt {_number(times.pop(0))}]}}")
    if times:
        tokens.append(f"{{[%emt {_number(times.pop(0))}] fault}}")
    tokens.append(rec["result"])
    return "\n".join(lines) + "\n\n" + _wrap(tokens) + "\n"


def _wrap(tokens: list[str], width: int = 100) -> str:
    lines, line = [], ""
    for tok in tokens:
        if line and len(line) + 1 + len(tok) > width:
            lines.append(line)
            line = tok
        else:
            line = f"{line} {tok}" if line else tok
    return "\n".join([*lines, line])


def parse_pgn(text: str) -> Iterator[tuple[int, dict]]:
    """(line of the game's first tag, record) for every game; ValueError ``"LINE: what is wrong"``."""
    tags: dict[str, str] = {}
    start = 0
    movetext: list[tuple[int, str]] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("%") or (not line and not movetext):
            continue
        if line.startswith("["):
            if movetext:
                raise ValueError(f"{n}: a tag inside the move text of the game at line {start} (no result?)")
            m = _TAG_RE.match(line)
            if m is None:
                raise ValueError(f'{n}: malformed tag {line[:60]!r}; expected [Name "value"]')
            if not tags:
                start = n
            if m.group(1) in tags:
                raise ValueError(f"{n}: tag {m.group(1)} given twice")
            tags[m.group(1)] = re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), m.group(2))
            continue
        if not tags:
            if line:
                raise ValueError(f"{n}: move text before any tag; a game starts with its tags")
            continue
        movetext.append((n, line))
        tokens = _TOKEN_RE.findall(line)
        if tokens and tokens[-1] in RESULT_TOKENS:
            yield start, _record(tags, movetext)
            tags, movetext = {}, []
    if tags:
        raise ValueError(f"{start}: the game has no result token at the end of its move text (1-0, 0-1, 1/2-1/2, *)")


def _record(tags: dict[str, str], movetext: list[tuple[int, str]]) -> dict:
    where = movetext[0][0]
    unknown = sorted(set(tags) - set(TAGS) - {"Event"})
    if unknown:
        raise ValueError(f"{where}: unknown tags {', '.join(unknown)}")
    missing = [t for t in TAGS if t not in tags and t not in _OPTIONAL_TAGS]
    if missing:
        raise ValueError(f"{where}: missing tags {', '.join(missing)}")
    rec: dict = {}
    for tag, key in TAGS.items():
        value = tags.get(tag)
        if value is None:
            rec[key] = "" if tag == "Opening" else (0 if tag == "OpeningPlies" else None)
        elif tag in _INT_TAGS:
            rec[key] = _parse(int, tag, value, where)
        elif tag in _FLOAT_TAGS:
            rec[key] = _parse(float, tag, value, where)
        elif tag in _LIST_TAGS:
            rec[key] = [] if value == "-" else value.split()
        else:
            rec[key] = value
    moves, times, result = [], [], None
    for n, line in movetext:
        for tok in _TOKEN_RE.findall(line):
            if result is not None:
                raise ValueError(f"{n}: {tok!r} after the result")
            if tok in RESULT_TOKENS:
                result = tok
            elif tok.startswith("{"):
                m = _EMT_RE.match(tok)
                if m:
                    if not moves and not m.group(2):
                        raise ValueError(f"{n}: a move time before any move")
                    times.append(_parse(float, "%emt", m.group(1), n))
            elif re.fullmatch(r"\d+\.(\.\.)?", tok):
                continue
            else:
                moves.append(tok)
    if result != rec["result"]:
        raise ValueError(f"{where}: the move text ends in {result} but the Result tag says {rec['result']}")
    rec.update(moves=moves, move_times=times, plies=len(moves))
    rec["winner"] = {"1-0": 1, "0-1": 2}.get(result, 0)
    return rec


def _parse(kind, tag: str, value: str, line: int):
    try:
        out = kind(value)
    except ValueError:
        raise ValueError(f"{line}: {tag} {value!r} is not {'an integer' if kind is int else 'a number'}") from None
    if kind is float and out != out:  # NaN
        raise ValueError(f"{line}: {tag} {value!r} is not a number")
    return out
