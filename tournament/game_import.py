"""``bttt import``: games from a game file (:mod:`tournament.gamefile`) into a tournament database.

Everything is checked before anything is written: every record on its own (:func:`tournament.gamefile.read_games`),
then the records together (one board, tournament seed and settings; each agent described the same way in every
game), then against the database. Into a new database the games go with their row ids, so ``bttt show`` finds
them under the same numbers, and the tournament's configuration is rebuilt from them: its suite is the layouts
in the order they first appear, its opening suite the openings the games start from (in the same order; the
judge's values are not in a game file). Into an existing database (of the same board, seed and move time limit)
only games of its layouts and openings go, under new row ids; a game already there (same pairing, layout,
opening and index) is skipped, and a new agent joins.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bttt.cells import parse_cells
from tournament.gamefile import GameFileError, parse_rules, read_games, record_key
from tournament.play import GameResult
from tournament.store import FORMAT, SCHEMA_VERSION, Store, check_usable

_SHARED = ("rules", "tournament_seed", "games_per_colour", "move_time_limit", "train")


@dataclass
class ImportSummary:
    """What one import did."""

    db: Path
    created: bool  # a new database
    added: int
    skipped: int  # already in the database
    new_agents: list[str]


def import_games(path: str | Path, db: str | Path, fmt: str | None = None) -> ImportSummary:
    """Add the games of ``path`` to the tournament database ``db`` (made when missing)."""
    from bttt.paths import check_output_file

    path, db = Path(path), Path(db)
    kind = check_usable(db)
    if kind == "missing":
        check_output_file(db, "--db", force=db.exists())  # an empty file is free to use
    recs = read_games(path, fmt)
    shared = _shared(recs, path)
    rows, cols, k = parse_rules(shared["rules"])
    agents = _agents(recs, path, rows, cols)
    if kind == "missing":
        config, openings = _new_config(recs, shared, path, fmt, rows, cols, k)
        stored_agents: dict = {}
        done: set = set()
    else:
        with Store(db, create=False) as store:
            config = store.config()
            stored_openings = store.openings()
            stored_agents = {name: cells for name, _, cells in store.agents(rows, cols)}
            digests = store.digests()
            done = store.done_keys()
        _check_fits(recs, shared, config, stored_openings, db, (rows, cols, k))
        for name, (_, cells, digest) in agents.items():
            if name in stored_agents and (stored_agents[name] != cells or digests.get(name) != digest):
                raise GameFileError(
                    f"{path}: agent {name!r} has other training cells or another checkpoint digest than in {db}"
                )
        openings = None
    todo = [r for r in recs if record_key(r) not in done]
    new_agents = [name for name in agents if name not in stored_agents]
    with Store(db, config=config, openings=openings) as store:
        if kind == "missing":
            store.write_config(config, openings)
        for name in new_agents:
            spec, cells, digest = agents[name]
            store.add_agent(name, spec, cells, rows, cols, digest)
        added = 0
        for rec in todo:
            result = _result(rec, rows, cols)
            game_id = rec["id"] if kind == "missing" else None
            added += store.add_game(result, rows, cols, game_id=game_id, finished_at=rec["finished_at"])
    return ImportSummary(db, kind == "missing", added, len(recs) - added, new_agents)


def _shared(recs: list[dict], path: Path) -> dict:
    """The tournament-level fields, which every record must give alike."""
    first = recs[0]
    for rec in recs[1:]:
        for key in _SHARED:
            if rec[key] != first[key]:
                raise GameFileError(
                    f"{path}: games of different tournaments ({key} {first[key]!r} and {rec[key]!r}); "
                    "import each tournament's file into its own database"
                )
    return {k: first[k] for k in _SHARED}


def _agents(recs: list[dict], path: Path, rows: int, cols: int) -> dict[str, tuple]:
    """name -> (spec, training cells, digest), the same in every game."""
    out: dict[str, tuple] = {}
    for rec in recs:
        for seat in ("p1", "p2"):
            cells = rec[f"{seat}_training_cells"]
            info = (
                rec[f"{seat}_spec"],
                None if cells is None else tuple(sorted(parse_cells(cells, rows, cols))),
                rec[f"{seat}_digest"],
            )
            old = out.setdefault(rec[seat], info)
            if old != info:
                raise GameFileError(f"{path}: agent {rec[seat]!r} is described differently in two games")
    return out


def _new_config(recs, shared, path: Path, fmt, rows, cols, k) -> tuple[dict, dict | None]:
    from tournament.openings import Opening, OpeningSuite

    suite = list(dict.fromkeys(r["layout"] for r in recs))
    with_opening = {r["layout"] for r in recs if r["opening"]}
    openings, digest = None, ""
    if with_opening:
        if with_opening != set(suite):
            raise GameFileError(f"{path}: some layouts' games start from openings and others' do not")
        ids: dict[str, list[str]] = {lay: [] for lay in suite}
        for r in recs:
            if r["opening"] not in ids[r["layout"]]:
                ids[r["layout"]].append(r["opening"])
        plies = {len(i.partition(":")[2].split(",")) if not i.endswith(":-") else 0 for v in ids.values() for i in v}
        suite_obj = OpeningSuite(
            rows,
            cols,
            k,
            {lay: tuple(Opening(lay, _opening_moves(i, rows, cols)) for i in ids[lay]) for lay in suite},
            plies.pop() if len(plies) == 1 else None,
            {"imported": str(path)},
        )
        openings, digest = suite_obj.to_json(), suite_obj.digest()
    config = {
        "rows": rows,
        "cols": cols,
        "win_length": k,
        "seed": shared["tournament_seed"],
        "suite": suite,
        "games_per_colour": shared["games_per_colour"],
        "move_time_limit": shared["move_time_limit"],
        "train": shared["train"].split(",") if shared["train"] else None,
        "openings": digest,
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "created": time.time(),
        "imported": {"file": str(path), "format": fmt or path.suffix.lstrip("."), "games": len(recs)},
    }
    return config, openings


def _opening_moves(opening_id: str, rows: int, cols: int) -> tuple[int, ...]:
    moves = opening_id.rpartition(":")[2]
    return () if moves == "-" else parse_cells(moves, rows, cols)


def _check_fits(recs, shared, config: dict, stored_openings: dict | None, db: Path, board: tuple) -> None:
    """Games may join an existing tournament only if they could have been played in it."""
    if config is None:
        raise GameFileError(f"{db} holds no tournament yet; import into a new database instead")
    ours = (config["rows"], config["cols"], config["win_length"])
    for what, theirs, stored in (
        ("board", board, ours),
        ("tournament seed", shared["tournament_seed"], config["seed"]),
        ("move time limit", shared["move_time_limit"], config.get("move_time_limit")),
    ):
        if theirs != stored:
            raise GameFileError(
                f"the games are of another tournament than {db} ({what} {theirs!r}, stored {stored!r}): "
                "import them into a new --db"
            )
    ids: dict[str, set[str]] = {}
    if stored_openings:
        ids = {lay: {f"{lay}:{m or '-'}" for m, _ in ops} for lay, ops in stored_openings["openings"].items()}
    for rec in recs:
        if rec["layout"] not in config["suite"]:
            raise GameFileError(f"game {rec['id']}: layout {rec['layout']} is not in the suite of {db}")
        allowed = ids.get(rec["layout"], {""}) if stored_openings else {""}
        if rec["opening"] not in allowed:
            raise GameFileError(f"game {rec['id']}: opening {rec['opening'] or '(empty board)'} is not one of {db}'s")
        if rec["index"] >= config["games_per_colour"]:
            raise GameFileError(f"game {rec['id']}: index {rec['index']} beyond {db}'s games per colour")


def _result(rec: dict, rows: int, cols: int) -> GameResult:
    from tournament.schedule import GameKey

    return GameResult(
        GameKey(rec["p1"], rec["p2"], rec["layout"], rec["index"], rec["opening"]),
        rec["seed"],
        rec["winner"],
        rec["termination"],
        list(parse_cells(rec["moves"], rows, cols)),
        list(rec["move_times"]),
        rec["fault_player"],
        rec["fault_detail"],
        rec["wall_time"],
        rec["worker"],
        rec["opening_plies"],
    )
