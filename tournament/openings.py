"""Opening suites: for every brick layout, N start positions of k plies that every pairing plays.

**How a suite is chosen** (:func:`generate_openings`), for each layout independently:

1. *Candidates.* A generator seeded with ``derive_seed(seed, "openings", layout, plies)`` orders them. When the
   k-ply move sequences number at most :data:`ENUMERATE_LIMIT`, every position of k stones is listed (reached
   by playing each player's stones in ascending cell order, alternately; kept when that leaves the game on),
   sorted by canonical key and shuffled. Otherwise candidates are random games of k plies, each move uniform
   among the legal ones; a game that ends before its k-th ply is dropped.
2. *Distinct under symmetry.* Two positions are the same opening when a symmetry of the board that leaves the
   layout's bricks in place (:func:`bttt.symmetry.preserving_transforms`) maps one's stones onto the other's;
   move order is ignored (the game goes on from the position). Each candidate is turned into the member of
   its class with the smallest key (sorted player 1 stones, then player 2 stones) and skipped if that class
   was taken.
3. *Balanced.* The judge (:mod:`tournament.opening_judges`; by default the exact solver asked whether either
   side forces a win within 7 plies, then the depth-4 alpha-beta search for a value) values the position for
   player 1; a candidate is rejected when the value is ±1 (a win for either side proven within the judge's
   horizon) or, with ``max_value`` set, when ``|value| > max_value``. A judge's None (it cannot
   tell) keeps the candidate, with its value recorded as unknown.
4. The first N candidates kept form the layout's openings, in the order they were found. Fewer than N after
   every candidate (or ``max_candidates`` draws) is an error that says how many exist.

So a suite depends only on (board, layouts, N, k, seed, judge): identical for every pairing, and rebuilt the
same on resume. Each opening's id is ``"<layout>:<moves>"`` (``"D4:C3,D5"``; ``"D4:-"`` for the empty board).

**Files** (:func:`read_openings`, :func:`write_openings`): one serialised position a line
(:meth:`bttt.GameState.serialize`, e.g. ``7x7k4 b:D4 m:C3,D5``), blank lines and ``#`` comments ignored; the
bricks of a line say which layout it opens. Lines are checked: parsable and legal, the tournament's board and
win length, not finished, no two the same opening of a layout under its symmetries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import combinations, zip_longest
from pathlib import Path

import numpy as np

from bttt import GameState, Rules
from bttt.cells import cell_name, parse_cells
from bttt.errors import BtttError
from bttt.layouts import layout_name, parse_layout
from bttt.symmetry import permutation, preserving_transforms
from tournament.opening_judges import Judge, default_judge, judge_name
from tournament.schedule import derive_seed

FORMAT = "bttt-openings-1"
#: Enumerate every k-ply sequence when there are at most this many; sample random games beyond.
ENUMERATE_LIMIT = 20_000


class OpeningsError(BtttError):
    """An opening suite that cannot be built or read."""


@dataclass(frozen=True)
class Opening:
    """One start position: the moves that reach it on its layout."""

    layout: str
    moves: tuple[int, ...]
    value: float | None = None  # the judge's value for player 1 when chosen (None: unjudged or unknown)
    source: str = ""  # e.g. "openings.txt:3" for a file line

    def id(self, rows: int = 7, cols: int = 7) -> str:
        """The stable id: ``"<layout>:<moves>"``."""
        return f"{self.layout}:{','.join(cell_name(m, rows, cols) for m in self.moves) or '-'}"

    def state(self, rules: Rules) -> GameState:
        """The position, on ``rules`` with this opening's bricks."""
        return GameState.from_moves(rules.with_bricks(parse_layout(self.layout, rules.rows, rules.cols)), self.moves)


def canonical(state: GameState) -> tuple[tuple, int]:
    """(key, transform): the smallest (player 1 stones, player 2 stones) over the layout's symmetries."""
    rules = state.rules
    ones, twos = state.history[0::2], state.history[1::2]
    best = None
    for t, perm in _perms(rules):
        key = (tuple(sorted(perm[c] for c in ones)), tuple(sorted(perm[c] for c in twos)))
        if best is None or key < best[0]:
            best = (key, t)
    return best


@cache
def _perms(rules: Rules) -> tuple[tuple[int, list[int]], ...]:
    """(transform, permutation as a list) for every symmetry that keeps the layout's bricks."""
    return tuple((t, permutation(t, rules.rows, rules.cols).tolist()) for t in preserving_transforms(rules))


def _oriented(state: GameState) -> tuple[tuple, tuple[int, ...]]:
    """(canonical key, the moves carried to the canonical orientation)."""
    key, t = canonical(state)
    perm = dict(_perms(state.rules))[t]
    return key, tuple(perm[m] for m in state.history)


@dataclass
class OpeningSuite:
    """The openings of every layout of a tournament."""

    rows: int
    cols: int
    win_length: int
    openings: dict[str, tuple[Opening, ...]]  # layout name -> its openings
    plies: int | None  # k, or None when a file mixes lengths
    source: dict = field(default_factory=dict)  # how it was made: generator settings or the file

    def for_layout(self, layout: str) -> tuple[Opening, ...]:
        try:
            return self.openings[layout]
        except KeyError:
            raise OpeningsError(f"no openings for layout {layout} (the suite has {', '.join(self.openings)})") from None

    def ids(self, layout: str) -> list[str]:
        return [o.id(self.rows, self.cols) for o in self.for_layout(layout)]

    def rules(self) -> Rules:
        return Rules(self.rows, self.cols, self.win_length)

    def restrict(self, layouts: Iterable[str]) -> OpeningSuite:
        """The suite of these layouts only; every one of them needs openings."""
        layouts = list(layouts)
        missing = [lay for lay in layouts if not self.openings.get(lay)]
        if missing:
            where = self.source.get("file", "the suite")
            raise OpeningsError(f"{where} has no opening for layout {', '.join(missing)}: add lines with those bricks")
        return OpeningSuite(
            self.rows, self.cols, self.win_length, {lay: self.openings[lay] for lay in layouts}, self.plies, self.source
        )

    def to_json(self) -> dict:
        """Plain JSON (e.g. for the tournament database's configuration)."""
        return {
            "format": FORMAT,
            "rows": self.rows,
            "cols": self.cols,
            "win_length": self.win_length,
            "plies": self.plies,
            "source": self.source,
            "openings": {
                lay: [[",".join(cell_name(m, self.rows, self.cols) for m in o.moves), o.value] for o in ops]
                for lay, ops in self.openings.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict) -> OpeningSuite:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise OpeningsError(f"not an opening suite of format {FORMAT}")
        rows, cols = int(data["rows"]), int(data["cols"])
        openings = {
            lay: tuple(Opening(lay, parse_cells(moves, rows, cols) if moves else (), value) for moves, value in ops)
            for lay, ops in data["openings"].items()
        }
        return cls(rows, cols, int(data["win_length"]), openings, data["plies"], dict(data.get("source") or {}))

    def digest(self) -> str:
        """SHA-256 of the board and the positions (not the judge's values), to check a resume uses the same ones."""
        positions = {lay: [o.id(self.rows, self.cols) for o in ops] for lay, ops in self.openings.items()}
        content = {"board": [self.rows, self.cols, self.win_length], "openings": positions}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _sequences(rules: Rules, plies: int) -> int:
    free = rules.n_cells - len(rules.bricks)
    total = 1
    for i in range(plies):
        total *= max(free - i, 0)
    return total


def _enumerate(rules: Rules, plies: int) -> list[tuple[tuple, tuple[int, ...]]]:
    """Every position of ``plies`` plies as (key, oriented moves), sorted by key.

    A position is a set of player 1 stones and one of player 2 stones; it is reached by playing each player's
    stones in ascending cell order, alternately, and kept when that sequence is legal and leaves the game on.
    """
    free = [c for c in range(rules.n_cells) if c not in rules.bricks]
    n1, n2 = (plies + 1) // 2, plies // 2
    can_end = plies >= 2 * rules.win_length - 1 or plies >= len(free)
    found: dict[tuple, tuple[int, ...]] = {}
    for ones in combinations(free, n1):
        rest = [c for c in free if c not in ones]
        for twos in combinations(rest, n2):
            moves = [m for pair in zip_longest(ones, twos) for m in pair if m is not None]
            if can_end:
                try:
                    if GameState.from_moves(rules, moves).is_terminal():
                        continue
                except BtttError:  # the game ended before the last move
                    continue
            state = _Position(rules, moves)
            key, t = canonical(state)
            if key not in found:
                perm = dict(_perms(rules))[t]
                found[key] = tuple(perm[m] for m in moves)
    return sorted(found.items())


@dataclass(frozen=True)
class _Position:
    """What :func:`canonical` reads of a state, without replaying it."""

    rules: Rules
    history: list[int]


class LayoutOpenings:
    """The balanced openings of one layout in the order the rule of the module docstring finds them.

    :meth:`take` returns the next ones; the first ``n`` of any stream with the same arguments are the same
    positions (a suite of ``n`` openings is a prefix of a suite of more), so a sequential test can draw fresh
    openings round after round and rebuild them on resume.

    Args:
        base: the board (its bricks are replaced by the layout's).
        layout: the layout name.
        plies, seed, judge, max_value: as :func:`generate_openings` (``judge`` already built, or None).
        limit: random candidates to draw at most before giving up (enumerated positions are all tried).
    """

    def __init__(
        self, base: Rules, layout: str, plies: int, seed: int, judge: Judge | None, max_value: float | None, limit: int
    ) -> None:
        self.layout, self.plies, self.judge, self.max_value, self.limit = layout, plies, judge, max_value, limit
        self.rules = base.with_bricks(parse_layout(layout, base.rows, base.cols))
        rng = np.random.default_rng(derive_seed(seed, "openings", layout, plies))
        self.enumerated = _sequences(self.rules, plies) <= ENUMERATE_LIMIT
        if self.enumerated:
            pool = _enumerate(self.rules, plies)
            self._candidates = iter([pool[i] for i in rng.permutation(len(pool))])
        else:
            self._candidates = _random_candidates(self.rules, plies, rng, limit)
        self._seen: set[tuple] = set()
        self.tried = 0  # distinct positions judged so far
        self.found = 0  # openings returned so far

    def take(self, n: int) -> tuple[Opening, ...]:
        """The next ``n`` openings; raises :class:`OpeningsError` when fewer are left."""
        chosen: list[Opening] = []
        while len(chosen) < n:
            for key, moves in self._candidates:
                if key in self._seen:
                    continue
                self._seen.add(key)
                self.tried += 1
                value = None if self.judge is None else self.judge(GameState.from_moves(self.rules, moves))
                if value is not None and (
                    abs(value) >= 1.0 or (self.max_value is not None and abs(value) > self.max_value)
                ):
                    continue
                chosen.append(Opening(self.layout, moves, None if value is None else float(value)))
                break
            else:
                how = "of all of them" if self.enumerated else f"after {self.limit} random games"
                raise OpeningsError(
                    f"layout {self.layout}: only {self.found + len(chosen)} distinct balanced openings of "
                    f"{self.plies} plies ({self.tried} distinct positions judged, {how}); ask for fewer openings "
                    "or use other --opening-plies"
                )
        self.found += n
        return tuple(chosen)


def generate_openings(
    layouts: Iterable[str],
    n: int,
    plies: int,
    seed: int = 0,
    judge: Judge | str | None = "default",
    max_value: float | None = None,
    rows: int = 7,
    cols: int = 7,
    win_length: int = 4,
    max_candidates: int | None = None,
) -> OpeningSuite:
    """Choose ``n`` openings of ``plies`` plies for every layout by the rule in the module docstring.

    Args:
        layouts: layout names (``"D4"``, ``"D3+E5"``, ``"none"``).
        n: openings per layout.
        plies: moves in each opening (0 gives the empty board, so ``n`` must be 1).
        seed: the suite's seed (e.g. the tournament's).
        judge: a judge, None to accept every distinct position, or ``"default"``
            (:func:`tournament.opening_judges.default_judge`: the solver within 7 plies, then the depth-4 search).
        max_value: also reject positions the judge values beyond ±``max_value`` (None: only proven wins).
        rows, cols, win_length: the board.
        max_candidates: random candidates to try per layout before giving up (default ``200 * n + 2000``).
    """
    if n < 1:
        raise OpeningsError(f"--openings must be at least 1, got {n}")
    if plies < 0:
        raise OpeningsError(f"--opening-plies must be 0 or more, got {plies}")
    if judge == "default":
        judge = default_judge()
    limit = max_candidates if max_candidates is not None else 200 * n + 2000
    base = Rules(rows, cols, win_length)
    out: dict[str, tuple[Opening, ...]] = {}
    for layout in layouts:
        stream = LayoutOpenings(base, layout, plies, seed, judge, max_value, limit)
        out[layout] = stream.take(n)
    source = {"generated": True, "seed": seed, "plies": plies, "n": n, "judge": judge_name(judge)}
    if max_value is not None:
        source["max_value"] = max_value
    return OpeningSuite(rows, cols, win_length, out, plies, source)


def _random_candidates(rules: Rules, plies: int, rng: np.random.Generator, limit: int):
    for _ in range(limit):
        state = GameState(rules)
        for _ in range(plies):
            moves = state.legal_actions()
            state.apply_action(moves[int(rng.integers(len(moves)))])
            if state.is_terminal():
                break
        if len(state.history) == plies and not state.is_terminal():
            yield _oriented(state)


def read_openings(path: str | Path, rows: int = 7, cols: int = 7, win_length: int = 4) -> OpeningSuite:
    """Read an openings file (one serialised position a line) and check every line.

    Args:
        path: the file.
        rows, cols, win_length: the tournament's board; every line must be on it.

    Raises:
        OpeningsError: naming the file, the line and what is wrong with it.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OpeningsError(f"cannot read openings file {path}: {exc}") from None
    board = f"{rows}x{cols}k{win_length}"
    by_layout: dict[str, list[Opening]] = {}
    seen: dict[tuple, int] = {}
    lengths = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{path}:{number}"
        try:
            state = GameState.deserialize(line)
        except BtttError as exc:
            raise OpeningsError(f"{where}: {exc}") from None
        r = state.rules
        if (r.rows, r.cols, r.win_length) != (rows, cols, win_length):
            raise OpeningsError(
                f"{where}: {line!r} is a {r.rows}x{r.cols}k{r.win_length} position; this tournament plays {board}"
            )
        if state.is_terminal():
            raise OpeningsError(f"{where}: {line!r} is a finished game; an opening must leave moves to play")
        layout = layout_name(r.bricks, rows, cols)
        key = (layout, canonical(state)[0])
        if key in seen:
            raise OpeningsError(
                f"{where}: the same opening as line {seen[key]} of layout {layout} (equal up to a symmetry that "
                "keeps the bricks); list each opening once"
            )
        seen[key] = number
        lengths.add(len(state.history))
        by_layout.setdefault(layout, []).append(Opening(layout, tuple(state.history), None, where))
    if not by_layout:
        raise OpeningsError(f"{path} holds no opening: write one position a line, e.g. '{board} b:D4 m:C3,D5'")
    digest = hashlib.sha256(text.encode()).hexdigest()
    source = {"file": str(path), "sha256": digest}
    plies = lengths.pop() if len(lengths) == 1 else None
    return OpeningSuite(rows, cols, win_length, {k: tuple(v) for k, v in by_layout.items()}, plies, source)


def write_openings(suite: OpeningSuite, path: str | Path, overwrite: bool = False) -> Path:
    """Write ``suite`` as an openings file that :func:`read_openings` reads back (refuses to overwrite)."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OpeningsError(f"{path} exists: choose another file or pass overwrite=True")
    rules = suite.rules()
    lines = [f"# bttt openings ({FORMAT}): {json.dumps(suite.source, sort_keys=True)}"]
    for ops in suite.openings.values():
        for o in ops:
            value = "" if o.value is None else f"  # judge value {o.value:+.3f}"
            lines.append(o.state(rules).serialize() + value)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
