"""Running a tournament end to end: configuration, schedule, backend, store, progress bar.

:func:`run_tournament` first plans everything without writing: it resolves the agents (a bad spec, a changed
checkpoint or a plug-in the user did not allow fails before any game), builds the opening suite, and checks the
configuration against the database. Only then does it create or extend the database, play every game that is not
stored yet on the chosen backend, and write each result in its own transaction as it arrives. Rerunning the same
call after an interruption plays exactly the missing games; a refused call writes nothing.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from agents.registry import pinned_digest
from bttt.errors import BtttError
from bttt.layouts import layout_name
from tournament.defaults import (
    DEFAULT_AGENTS,
    DEFAULT_DB,
    DEFAULT_GAMES,
    DEFAULT_OPENING_PLIES,
    DEFAULT_OPENINGS,
    DEFAULT_SUITE,
    DEFAULT_TRAIN,
)
from tournament.play import FAULTS, GameTask
from tournament.schedule import GameKey, build_schedule, describe_cells, parse_suite, parse_train
from tournament.store import Store, StoreError, check_usable, delete_database


@dataclass
class TournamentSpec:
    """What to play. ``None`` fields take the stored value on resume, else the default.

    ``openings`` > 0 starts every game of a layout from one of ``openings`` positions of ``opening_plies``
    plies (:func:`tournament.openings.generate_openings`), each played twice with the colours swapped;
    ``openings_file`` reads them from a file instead. ``allow_plugins`` lists the packages whose
    ``module:factory`` agent specs, read back from the database, may run.
    """

    agents: list[str] = field(default_factory=list)
    suite: str | None = None
    games_per_colour: int | None = None
    seed: int | None = None
    train: str | None = None
    gauntlet: str | None = None
    move_time_limit: float | None = None
    openings: int | None = None
    opening_plies: int | None = None
    openings_file: str | None = None
    allow_plugins: tuple[str, ...] = ()
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


@dataclass
class Plan:
    """Everything a run will do, decided before it writes anything."""

    config: dict
    agents: list[tuple[str, str, tuple[int, ...] | None]]  # every agent of the tournament, in joining order
    new_agents: list[tuple[str, str, tuple[int, ...] | None, str | None]]  # (+ digest) to add to the database
    tasks: list[GameTask]
    openings: dict | None  # the suite to store (a new database), or None
    already_done: int


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def resolve_agents(
    specs: list[str], plugins: tuple[str, ...] | None = None
) -> list[tuple[str, str, tuple[int, ...] | None]]:
    """(canonical name, spec, training cells) for each spec, building each agent once to check it."""
    from agents.registry import make_agent

    out, seen = [], {}
    for spec in specs:
        agent = make_agent(spec, plugins=plugins)
        name = getattr(agent, "name", None) or spec
        if name in seen:
            raise BtttError(f"agents {seen[name]!r} and {spec!r} are the same configuration ({name}); list it once")
        seen[name] = spec
        cells = getattr(agent, "training_cells", None)
        out.append((name, spec, None if cells is None else tuple(sorted(int(c) for c in cells))))
    return out


def _allowed_plugins(typed: list[str], allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Packages whose module:factory specs may run: those the user allowed, and those of the specs typed now."""
    from agents.registry import plugin_package

    return tuple(sorted({*allowed, *(p for p in map(plugin_package, typed) if p)}))


def _typed_specs(spec: TournamentSpec) -> list[str]:
    return [*spec.agents, *([spec.gauntlet] if spec.gauntlet else [])]


def plan_tournament(spec: TournamentSpec, existing: Store | None) -> Plan:
    """Decide the configuration, agents, openings and remaining games; reads ``existing`` (None for a new
    database) but writes nothing, so a refused command leaves the database as it was."""
    old = (existing.config() if existing is not None else None) or {}
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
    suite_json, openings_id = _openings(spec, old, existing, suite)
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
        "openings": openings_id,
    }
    if existing is not None:
        config = existing.check_config(config)
    else:
        from tournament.store import FORMAT, SCHEMA_VERSION

        config = dict(config, format=FORMAT, schema_version=SCHEMA_VERSION, created=time.time())
    plugins = _allowed_plugins(_typed_specs(spec), spec.allow_plugins)
    stored = existing.agents(rows, cols) if existing is not None else []
    stored_names = {a[0] for a in stored}
    given = resolve_agents(spec.agents, plugins) if spec.agents else []
    if not stored and not given:
        given = resolve_agents(list(DEFAULT_AGENTS), plugins)
    new = [(n, s, c, pinned_digest(n)) for n, s, c in given if n not in stored_names]
    agents = stored + [(n, s, c) for n, s, c, _ in new]
    names = [a[0] for a in agents]
    gauntlet = None
    if spec.gauntlet is not None:
        match = [name for name, s, _ in agents if spec.gauntlet in (name, s)]
        if match:
            gauntlet = match[0]
        else:  # not listed: it joins the tournament
            gauntlet, g_spec, g_cells = resolve_agents([spec.gauntlet], plugins)[0]
            if gauntlet not in names:
                new.append((gauntlet, g_spec, g_cells, pinned_digest(gauntlet)))
                agents.append((gauntlet, g_spec, g_cells))
                names.append(gauntlet)
    layout_openings, moves_of = None, {}
    if suite_json is not None:
        from tournament.openings import OpeningSuite

        suite_obj = OpeningSuite.from_json(suite_json)
        layout_openings = {lay: suite_obj.ids(lay) for lay in config["suite"]}
        moves_of = {o.id(rows, cols): o.moves for lay in config["suite"] for o in suite_obj.for_layout(lay)}
    keys = build_schedule(names, config["suite"], config["games_per_colour"], gauntlet, layout_openings)
    done = existing.done_keys() if existing is not None else set()
    missing = [k for k in keys if k not in done]
    _check_stored_agents(stored, {k.p1 for k in missing} | {k.p2 for k in missing}, plugins)
    tasks = [_task(k, config, moves_of.get(k.opening, ()), plugins) for k in missing]
    # Interleave pairings and layouts (by seed, so deterministically): the progress bar's rate and time left
    # then reflect the whole tournament, and slow agents' games spread over the run. Results do not depend
    # on this order.
    tasks.sort(key=lambda t: t.seed)
    already = existing.count_games() if existing is not None else 0
    return Plan(
        config, agents, new, tasks, suite_json if existing is None or not existing.openings() else None, already
    )


def prepare(spec: TournamentSpec, store: Store) -> tuple[dict, list[tuple[str, str, tuple | None]], list[GameTask]]:
    """Plan ``spec`` against ``store`` and record its configuration and agents there; (config, agents, tasks)."""
    plan = plan_tournament(spec, store if store.config() is not None else None)
    _record(store, plan, spec)
    return plan.config, plan.agents, plan.tasks


def _record(store: Store, plan: Plan, spec: TournamentSpec) -> None:
    store.write_config(plan.config, plan.openings)
    for name, agent_spec, cells, digest in plan.new_agents:
        store.add_agent(name, agent_spec, cells, spec.rows, spec.cols, digest)


def _openings(spec: TournamentSpec, old: dict, existing: Store | None, suite: list[str]) -> tuple[dict | None, str]:
    """(the opening suite as JSON, its identity for the configuration): the stored one when resuming, else the
    file given or a generated suite (:data:`DEFAULT_OPENINGS` of :data:`DEFAULT_OPENING_PLIES` plies by default;
    ``openings=0`` starts every game from the empty board)."""
    from tournament import openings as op

    asked = spec.openings is not None or spec.opening_plies is not None or spec.openings_file is not None
    if existing is not None and not asked:
        return existing.openings(), old.get("openings", "")
    n = spec.openings if spec.openings is not None else DEFAULT_OPENINGS
    stored = existing.openings() if existing is not None else None
    source = (stored or {}).get("source") or {}
    if spec.openings_file is None and n > 0 and source.get("generated"):
        plies = spec.opening_plies if spec.opening_plies is not None else DEFAULT_OPENING_PLIES
        seed = spec.seed if spec.seed is not None else old.get("seed", 0)
        if (source.get("n"), source.get("plies"), source.get("seed")) == (n, plies, seed):
            # The same request as the stored suite's: resume with it, whichever judge chose it (an older
            # bttt's default judge, say), rather than refusing because today's default judge differs.
            return stored, old.get("openings", "")
    if spec.openings_file is not None:
        chosen = op.read_openings(spec.openings_file, spec.rows, spec.cols, spec.win_length).restrict(suite)
    elif n > 0:
        plies = spec.opening_plies if spec.opening_plies is not None else DEFAULT_OPENING_PLIES
        seed = spec.seed if spec.seed is not None else old.get("seed", 0)
        chosen = op.generate_openings(suite, n, plies, seed, rows=spec.rows, cols=spec.cols, win_length=spec.win_length)
    else:
        return None, ""
    return chosen.to_json(), chosen.digest()


def _check_stored_agents(stored, playing: set[str], plugins: tuple[str, ...]) -> None:
    """Rebuild every stored agent that still has games to play from its canonical name -- which pins its
    checkpoint's content -- with only the allowed plug-ins: a changed file or foreign code is refused now."""
    from agents.registry import make_agent

    for name, _spec, _cells in stored:
        if name not in playing:
            continue
        try:
            make_agent(name, plugins=plugins)
        except BtttError as exc:
            raise StoreError(
                f"the tournament's agent {name!r} has games left to play but cannot be rebuilt: {exc}. To extend "
                "this tournament, restore what it was (or --allow-plugin it); else start a new --db"
            ) from None


def _task(key: GameKey, config: dict, opening_moves: tuple[int, ...], plugins: tuple[str, ...]) -> GameTask:
    return GameTask(
        key,
        key.seed(config["seed"]),
        key.p1,  # canonical names: they pin every parameter and a checkpoint's content
        key.p2,
        config["rows"],
        config["cols"],
        config["win_length"],
        config["move_time_limit"],
        opening_moves,
        plugins,
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
    batch_games: int | None = None,
) -> RunSummary:
    """Play every missing game of ``spec`` into the database ``db``.

    Games of network agents are played in groups whose network calls are pooled (:mod:`tournament.batch_play`):
    ``batch_games`` games per group at most (``None``: what the agents ask for, 64 on a CPU; 0 or 1: every game
    on its own). Grouping changes no result (up to float rounding, see the module), only the speed.
    """
    db = Path(db)
    if backend not in ("local", "ray"):
        raise BtttError(f"unknown backend {backend!r}: choose local or ray")
    if max_crashes < 1:
        raise BtttError(f"--max-crashes must be at least 1, got {max_crashes}")
    if batch_games is not None and batch_games < 0:
        raise BtttError(f"--batch-games must be 0 or more, got {batch_games}")
    workers = workers or default_workers()
    if overwrite:
        check_usable_for_overwrite(db)
        plan = plan_tournament(spec, None)
        delete_database(db)
    else:
        kind = check_usable(db)
        if kind == "missing":
            plan = plan_tournament(spec, None)
        else:
            with Store(db, create=False) as existing:
                plan = plan_tournament(spec, existing)
    start = time.perf_counter()
    with Store(db, config=plan.config, openings=plan.openings) as store:
        _record(store, plan, spec)
        run_id = store.start_run(backend, workers, command)
        played = faults = 0
        try:
            if plan.tasks:
                units = group_tasks(
                    plan.tasks, workers, batch_games, _allowed_plugins(_typed_specs(spec), spec.allow_plugins)
                )
                played, faults = _play_all(
                    store, plan.tasks, plan.config, workers, backend, address, progress, max_crashes, units
                )
        finally:
            store.finish_run(run_id, played, time.perf_counter() - start)
    return RunSummary(
        db, len(plan.tasks), plan.already_done, played, faults, time.perf_counter() - start, [a[0] for a in plan.agents]
    )


def check_usable_for_overwrite(db: Path) -> None:
    """``--overwrite`` deletes a bttt database (of any schema) and nothing else."""
    from tournament.store import probe

    if probe(db) == "foreign":
        raise StoreError(f"--overwrite: {db} is not a bttt tournament database; bttt deletes only its own files")


def group_tasks(
    tasks: list[GameTask], workers: int, batch_games: int | None = None, plugins: tuple[str, ...] = ()
) -> list:
    """The games as the backends play them: groups of network agents' games (lists) and single games
    (:func:`tournament.batch_play.plan_units` with the agents' batch keys; ``batch_games`` <= 1: all single)."""
    if batch_games is not None and batch_games <= 1:
        return list(tasks)
    from agents.registry import make_agent
    from tournament.batch_play import batch_info, plan_units

    specs = sorted({s for t in tasks for s in (t.p1_spec, t.p2_spec)})
    info = batch_info({s: make_agent(s, plugins=plugins) for s in specs})
    if batch_games is not None:
        info = {s: (key, min(n, batch_games)) for s, (key, n) in info.items()}
    return plan_units(tasks, info, workers)


def _play_all(store, tasks, config, workers, backend, address, progress, max_crashes, units=None) -> tuple[int, int]:
    """Play ``tasks`` (as ``units``, their grouping from :func:`group_tasks`, if given) and store the results."""
    from tqdm import tqdm

    units = list(tasks) if units is None else units

    if backend == "ray":
        from tournament.ray_backend import iter_ray

        results = iter_ray(units, address, workers, max_crashes)
    else:
        from tournament.runner import iter_local

        results = iter_local(units, workers, max_crashes)
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
