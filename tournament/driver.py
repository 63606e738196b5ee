"""Running a tournament end to end: configuration, schedule, backend, store, progress bar.

:func:`run_tournament` resolves the agents in the driver (so a bad spec fails
before any game), checks the configuration against the database, schedules
every game that is not stored yet, plays them on the chosen backend and writes
each result in its own transaction as it arrives. Rerunning the same call after
an interruption plays exactly the missing games.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from bttt.errors import BtttError
from bttt.layouts import layout_name
from tournament.defaults import DEFAULT_AGENTS, DEFAULT_DB, DEFAULT_GAMES, DEFAULT_SUITE, DEFAULT_TRAIN
from tournament.play import FAULTS, GameTask
from tournament.schedule import GameKey, build_schedule, describe_cells, parse_suite, parse_train
from tournament.store import Store


@dataclass
class TournamentSpec:
    """What to play. ``None`` fields take the stored value on resume, else the default."""

    agents: list[str] = field(default_factory=list)
    suite: str | None = None
    games_per_colour: int | None = None
    seed: int | None = None
    train: str | None = None
    gauntlet: str | None = None
    move_time_limit: float | None = None
    rows: int = 7
    cols: int = 7
    win_length: int = 4


@dataclass
class RunSummary:
    """What one invocation did."""

    db: Path
    to_play: int  # games missing at the start of this run
    already_done: int  # games stored before this run
    played: int
    faults: int
    wall_time: float
    agents: list[str]


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def resolve_agents(specs: list[str]) -> list[tuple[str, str, tuple[int, ...] | None]]:
    """(canonical name, spec, training cells) for each spec, building each agent once to check it."""
    from agents.registry import make_agent

    out, seen = [], {}
    for spec in specs:
        agent = make_agent(spec)
        name = getattr(agent, "name", None) or spec
        if name in seen:
            raise BtttError(f"agents {seen[name]!r} and {spec!r} are the same configuration ({name}); list it once")
        seen[name] = spec
        cells = getattr(agent, "training_cells", None)
        out.append((name, spec, None if cells is None else tuple(sorted(int(c) for c in cells))))
    return out


def prepare(spec: TournamentSpec, store: Store) -> tuple[dict, list[tuple[str, str, tuple | None]], list[GameTask]]:
    """Check/record the configuration and agents; return (config, agents, tasks still to play)."""
    old = store.config() or {}
    rows, cols = spec.rows, spec.cols
    if spec.suite is not None:
        suite = [layout_name(lay, rows, cols) for lay in parse_suite(spec.suite, rows, cols)]
    else:
        suite = old.get("suite") or [layout_name(lay, rows, cols) for lay in parse_suite(DEFAULT_SUITE, rows, cols)]
    if spec.train is not None:
        train_cells = parse_train(spec.train, rows, cols)
        train = describe_cells(train_cells, rows, cols).split(",") if train_cells else None
    elif not old and not spec.agents:  # a new default tournament
        train = [DEFAULT_TRAIN]
    else:
        train = old.get("train")
    config = {
        "rows": rows,
        "cols": cols,
        "win_length": spec.win_length,
        "seed": spec.seed if spec.seed is not None else old.get("seed", 0),
        "suite": suite,
        "games_per_colour": spec.games_per_colour
        if spec.games_per_colour is not None
        else old.get("games_per_colour", DEFAULT_GAMES),
        "move_time_limit": spec.move_time_limit if spec.move_time_limit is not None else old.get("move_time_limit"),
        "train": train,
    }
    config = store.ensure_config(config)
    stored = store.agents(rows, cols)
    given = resolve_agents(spec.agents) if spec.agents else []
    if not stored and not given:
        given = resolve_agents(list(DEFAULT_AGENTS))
    for name, s, cells in given:
        store.add_agent(name, s, cells, rows, cols)
    agents = store.agents(rows, cols)
    names = [a[0] for a in agents]
    gauntlet = None
    if spec.gauntlet is not None:
        match = [name for name, s, _ in agents if spec.gauntlet in (name, s)]
        if match:
            gauntlet = match[0]
        else:  # not listed: it joins the tournament
            gauntlet, g_spec, g_cells = resolve_agents([spec.gauntlet])[0]
            if gauntlet not in names:
                store.add_agent(gauntlet, g_spec, g_cells, rows, cols)
                agents = store.agents(rows, cols)
                names = [a[0] for a in agents]
    keys = build_schedule(names, config["suite"], config["games_per_colour"], gauntlet)
    done = store.done_keys()
    spec_of = {name: s for name, s, _ in agents}
    tasks = [_task(k, config, spec_of) for k in keys if k not in done]
    # Interleave pairings and layouts (by seed, so deterministically): the progress bar's rate and time left
    # then reflect the whole tournament, and slow agents' games spread over the run. Results do not depend
    # on this order.
    tasks.sort(key=lambda t: t.seed)
    return config, agents, tasks


def _task(key: GameKey, config: dict, spec_of: dict[str, str]) -> GameTask:
    return GameTask(
        key,
        key.seed(config["seed"]),
        spec_of[key.p1],
        spec_of[key.p2],
        config["rows"],
        config["cols"],
        config["win_length"],
        config["move_time_limit"],
    )


def run_tournament(
    spec: TournamentSpec,
    db: str | Path = DEFAULT_DB,
    workers: int | None = None,
    backend: str = "local",
    address: str | None = None,
    progress: bool = True,
    max_crashes: int = 2,
    overwrite: bool = False,
    command: str = "",
) -> RunSummary:
    """Play every missing game of ``spec`` into the database ``db``."""
    db = Path(db)
    if overwrite:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    workers = workers or default_workers()
    if backend not in ("local", "ray"):
        raise BtttError(f"unknown backend {backend!r}: choose local or ray")
    start = time.perf_counter()
    with Store(db) as store:
        config, agents, tasks = prepare(spec, store)
        already = store.count_games()
        run_id = store.start_run(backend, workers, command)
        played = faults = 0
        try:
            if tasks:
                played, faults = _play_all(store, tasks, config, workers, backend, address, progress, max_crashes)
        finally:
            store.finish_run(run_id, played, time.perf_counter() - start)
    return RunSummary(db, len(tasks), already, played, faults, time.perf_counter() - start, [a[0] for a in agents])


def _play_all(store, tasks, config, workers, backend, address, progress, max_crashes) -> tuple[int, int]:
    from tqdm import tqdm

    if backend == "ray":
        from tournament.ray_backend import iter_ray

        results = iter_ray(tasks, address, workers, max_crashes)
    else:
        from tournament.runner import iter_local

        results = iter_local(tasks, workers, max_crashes)
    played = faults = 0
    bar = tqdm(total=len(tasks), unit="game", disable=not progress, dynamic_ncols=True, smoothing=0.05)
    try:
        for result in results:
            if store.add_game(result, config["rows"], config["cols"]):
                played += 1
                faults += result.termination in FAULTS
            bar.update(1)
            if faults:
                bar.set_postfix(faults=faults, refresh=False)
    finally:
        bar.close()
        close = getattr(results, "close", None)
        if close is not None:
            close()
    return played, faults
