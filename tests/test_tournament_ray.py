"""The Ray backend on a local Ray instance: same games as the local backend; dead workers become crashes."""

from __future__ import annotations

import pytest
from tournament_agents import REPO, make_importable

from tournament.driver import TournamentSpec, run_tournament
from tournament.store import Store

make_importable()
ray = pytest.importorskip("ray")  # in the dev extra, so present in CI
T = "tests.tournament_agents"
RANDOM = "agents.random_agent:RandomAgent"


@pytest.fixture(scope="module")
def local_ray():
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}}
    )
    yield
    ray.shutdown()


def games(db) -> dict:
    with Store(db, create=False) as s:
        return {g.key: (g.seed, g.winner, g.termination, g.moves) for g in s.games()}


def test_ray_backend_plays_the_same_games(local_ray, tmp_path):
    spec = TournamentSpec(
        openings=0,
        agents=[RANDOM, f"{T}:slow:delay=0", f"{T}:illegal:after=2"],
        suite="D4,A1",
        games_per_colour=2,
        seed=11,
    )
    via_ray = run_tournament(spec, tmp_path / "ray.db", backend="ray", progress=False)
    local = run_tournament(spec, tmp_path / "local.db", workers=2, progress=False)
    assert via_ray.played == local.played == 3 * 2 * 2 * 2
    assert games(tmp_path / "ray.db") == games(tmp_path / "local.db")
    assert run_tournament(spec, tmp_path / "ray.db", backend="ray", progress=False).played == 0


def test_ray_worker_death_is_recorded_as_crash(local_ray, tmp_path):
    spec = TournamentSpec(openings=0, agents=[RANDOM, f"{T}:dier"], suite="D4", games_per_colour=1)
    summary = run_tournament(spec, tmp_path / "d.db", backend="ray", progress=False, max_crashes=2)
    stored = games(tmp_path / "d.db")
    assert summary.played == len(stored) == 2
    assert all(v[2] == "crash" for v in stored.values())


def test_ray_backend_plays_groups_of_batched_games_and_splits_a_dying_group(local_ray, tmp_path):
    batcher = f"{T}:batcher"
    spec = TournamentSpec(
        openings=0, agents=[RANDOM, batcher, f"{T}:batcher:after=1,bad=true"], suite="D4,A1", games_per_colour=2
    )
    via_ray = run_tournament(spec, tmp_path / "ray.db", backend="ray", progress=False)
    one_by_one = run_tournament(spec, tmp_path / "single.db", workers=2, progress=False, batch_games=1)
    assert via_ray.played == one_by_one.played == 3 * 2 * 2 * 2
    assert games(tmp_path / "ray.db") == games(tmp_path / "single.db")
    dying = TournamentSpec(openings=0, agents=[RANDOM, batcher, f"{T}:dier"], suite="D4", games_per_colour=1)
    run_tournament(dying, tmp_path / "d.db", backend="ray", progress=False, max_crashes=1)
    stored = games(tmp_path / "d.db")
    assert len(stored) == 6
    for key, (_, _, termination, _) in stored.items():
        assert (termination == "crash") == (f"{T}:dier" in (key.p1, key.p2))
