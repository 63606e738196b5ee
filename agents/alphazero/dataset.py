"""Datasets of self-play positions (for pruning and offline analysis).

Made by exporting a training run's replay buffer (:func:`export_dataset`, ``bttt train --export-dataset``)
or by letting a trained network play itself (:func:`generate_dataset`, ``bttt selfplay``).

An ``.npz`` file (``numpy.savez_compressed``) with:

==============  ======================  ==========================================================
key             dtype, shape            meaning
==============  ======================  ==========================================================
``planes``      uint8 (N, 3, R, C)      input planes from the side to move's view: own stones,
                                        opponent stones, bricks (0/1; cast to float32 for a net)
``masks``       bool (N, R*C)           legal moves
``policy``      float32 (N, R*C)        search policy: root visit counts / their sum
``value``       float32 (N,)            final outcome for the side to move (+1, 0, -1)
``layout``      int16 (N,)              index into ``layouts``
``layouts``     str (L,)                brick layout names (``"D4"``, ``"D3+E5"``, ``"none"``)
``format``      str ()                  ``"bttt-selfplay-dataset"``; ``version`` int ()
``bricks``      str ()                  training brick distribution spec; ``rows``, ``cols`` int ()
==============  ======================  ==========================================================
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bttt.errors import BtttError
from bttt.layouts import BrickDistribution, layout_name
from bttt.options import option
from bttt.paths import claim_work_dir, file_digest
from bttt.seeding import derive_seed

FORMAT = "bttt-selfplay-dataset"
VERSION = 1
ARRAYS = ("planes", "masks", "policy", "value", "layout")


class DatasetError(BtttError):
    """A dataset file that cannot be written or read."""


def save_dataset(path: str | os.PathLike, arrays: dict[str, np.ndarray], bricks: str, rows: int, cols: int) -> int:
    """Write positions (``ARRAYS`` keys) to ``path`` in one piece (a crash or a full disk leaves the old file or
    none, never half a file); returns the number of positions."""
    import io

    from bttt.paths import atomic_write

    dist = BrickDistribution.parse(bricks, rows, cols)
    n = len(arrays["value"])
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        planes=arrays["planes"].astype(np.uint8),
        masks=arrays["masks"].astype(bool),
        policy=arrays["policy"].astype(np.float32),
        value=arrays["value"].astype(np.float32),
        layout=arrays["layout"].astype(np.int16),
        layouts=np.array([layout_name(lay, rows, cols) for lay in dist.layouts]),
        format=np.array(FORMAT),
        version=np.array(VERSION),
        bricks=np.array(bricks),
        rows=np.array(rows),
        cols=np.array(cols),
    )
    atomic_write(dataset_path(path), buffer.getvalue())  # with .npz added when missing, as numpy does
    return n


def export_dataset(checkpoint: str | os.PathLike, path: str | os.PathLike) -> int:
    """Write the replay buffer stored in a training checkpoint to ``path``."""
    from agents.alphazero.checkpoint import load_checkpoint
    from agents.alphazero.replay import ReplayBuffer

    ckpt = load_checkpoint(checkpoint)
    if "replay" not in ckpt.extra:
        raise DatasetError(f"{checkpoint} holds no replay buffer; export from a run's checkpoint.pt")
    buf = ReplayBuffer.from_state_dict(ckpt.extra["replay"])
    cfg = ckpt.train_config or {}
    return save_dataset(
        path,
        buf.contents(),
        ckpt.training_bricks or "none",
        int(cfg.get("rows", buf.rows)),
        int(cfg.get("cols", buf.cols)),
    )


def dataset_path(path: str | os.PathLike) -> Path:
    """The file a dataset is written to: ``path`` with ``.npz`` appended when it has another suffix (as numpy
    does), so messages name the file that really exists."""
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def is_dataset(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a readable bttt dataset (bttt replaces only files it made)."""
    try:
        load_dataset(path)
    except DatasetError:
        return False
    return True


def check_dataset_output(path: str | os.PathLike, force: bool = False, flag: str = "--export-dataset") -> Path:
    """Check, before any work, that a dataset can be written to ``path`` (see :func:`dataset_path`)."""
    from bttt.paths import OutputPathError, check_output_file

    if Path(path).is_dir():
        raise OutputPathError(f"{flag} {path} is a folder; give a file path such as {Path(path) / 'positions.npz'}")
    return check_output_file(dataset_path(path), flag, force=force, ours=is_dataset)


def load_dataset(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read and check a dataset; planes come back as float32, masks as bool. Raises :class:`DatasetError`.

    Only plain arrays are read (``allow_pickle=False``): a file holding Python objects is refused, never
    unpickled, since a dataset may come from anywhere.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"no dataset at {path}: create one with 'bttt selfplay CHECKPOINT --out {path}'")
    try:
        with np.load(path, allow_pickle=False) as data:
            d = {k: data[k] for k in data.files}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DatasetError(
                f"{path} holds Python objects, which bttt never loads from a data file (they can run code); "
                "it is not a bttt dataset"
            ) from None
        raise DatasetError(f"cannot read dataset {path}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - numpy raises many types for a damaged file
        raise DatasetError(f"cannot read dataset {path}: not a complete .npz file ({type(exc).__name__})") from None
    if str(d.get("format", "")) != FORMAT:
        raise DatasetError(f"{path} is not a bttt self-play dataset (no format tag {FORMAT!r})")
    missing = [k for k in (*ARRAYS, "layouts", "rows", "cols", "bricks") if k not in d]
    if missing:
        raise DatasetError(f"dataset {path} lacks {', '.join(missing)}")
    try:
        rows, cols = int(d["rows"]), int(d["cols"])
    except (TypeError, ValueError):
        raise DatasetError(f"dataset {path}: rows and cols must be integers") from None
    if d["value"].ndim != 1:
        raise DatasetError(f"dataset {path}: value has shape {d['value'].shape}, expected one value per position")
    n = len(d["value"])
    if n == 0:
        raise DatasetError(f"dataset {path} holds no positions")
    shapes = {"planes": (n, 3, rows, cols), "masks": (n, rows * cols), "policy": (n, rows * cols), "layout": (n,)}
    for k, shape in shapes.items():
        if d[k].shape != shape:
            raise DatasetError(f"dataset {path}: {k} has shape {d[k].shape}, expected {shape}")
    for k in ("policy", "value"):
        if not np.issubdtype(d[k].dtype, np.floating) or not np.isfinite(d[k]).all():
            raise DatasetError(f"dataset {path}: {k} holds values that are not finite numbers")
    for k in ("planes", "masks"):  # stones and legal moves: 0 or 1
        if d[k].dtype.kind not in "biuf" or not np.isin(d[k], (0, 1)).all():
            raise DatasetError(f"dataset {path}: {k} must hold only 0 and 1")
    if d["layouts"].ndim != 1 or d["layouts"].dtype.kind != "U" or not len(d["layouts"]):
        raise DatasetError(f"dataset {path}: layouts must be a list of layout names")
    layout = d["layout"]
    if not np.issubdtype(layout.dtype, np.integer) or layout.min() < 0 or layout.max() >= len(d["layouts"]):
        raise DatasetError(f"dataset {path}: layout indices outside its {len(d['layouts'])} layouts")
    d["planes"] = d["planes"].astype(np.float32)
    d["masks"] = d["masks"].astype(bool)
    return d


def load_datasets(paths: list[str | os.PathLike]) -> dict[str, np.ndarray]:
    """Several datasets of one board size, concatenated (one file: :func:`load_dataset`).

    Layouts are merged by name (``layout`` indices are renumbered); when the files' brick distributions
    differ, ``bricks`` becomes the list of every layout (``"D4,A1,A2,..."``).
    """
    parts = [load_dataset(p) for p in paths]
    first = parts[0]
    names: list[str] = []
    for path, d in zip(paths, parts, strict=True):
        if (int(d["rows"]), int(d["cols"])) != (int(first["rows"]), int(first["cols"])):
            raise DatasetError(
                f"{path} is for a {int(d['rows'])}x{int(d['cols'])} board but {paths[0]} for "
                f"{int(first['rows'])}x{int(first['cols'])}: only datasets of one board size combine"
            )
        names += [str(n) for n in d["layouts"] if str(n) not in names]
    index = {n: i for i, n in enumerate(names)}
    merged = {k: np.concatenate([d[k] for d in parts]) for k in ("planes", "masks", "policy", "value")}
    merged["layout"] = np.concatenate(
        [np.array([index[str(n)] for n in d["layouts"]], np.int16)[d["layout"]] for d in parts]
    )
    same = all(str(d["bricks"]) == str(first["bricks"]) for d in parts)
    bricks = str(first["bricks"]) if same else ",".join(names)
    return {**first, **merged, "layouts": np.array(names), "bricks": np.array(bricks)}


JOB_GAMES = 32  # games per self-play job: the unit of seeding, so the games do not depend on --workers


@dataclass(frozen=True)
class SelfPlayOptions:
    """What :func:`generate_dataset` plays (each field is a ``bttt selfplay`` option with this help)."""

    games: int = option(2048, "self-play games to play")
    bricks: str | None = option(None, "brick distribution drawn per game (default: the checkpoint's training bricks)")
    simulations: int | None = option(None, "PUCT simulations per move (default: as the checkpoint was trained)")
    temperature_moves: int | None = option(
        None, "plies sampled from the visit counts before playing the most visited move (default: as trained)"
    )
    parallel_games: int | None = option(None, "games searched together per job (default: as trained)")
    workers: int = option(1, "worker processes (the games do not depend on it)")
    seed: int = option(0, "seed of every game (jobs of 32 games are seeded from it and their index)")
    chunk_games: int = option(512, "games per saved chunk: an interrupted run resumes from the last saved chunk")

    def __post_init__(self) -> None:
        for name in ("games", "workers"):
            if getattr(self, name) < 1:
                raise DatasetError(f"--{name} must be at least 1, got {getattr(self, name)}")
        if self.chunk_games < JOB_GAMES or self.chunk_games % JOB_GAMES:
            raise DatasetError(f"--chunk-games must be a multiple of {JOB_GAMES}, got {self.chunk_games}")
        for name in ("simulations", "parallel_games"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise DatasetError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
        if self.temperature_moves is not None and self.temperature_moves < 0:
            raise DatasetError(f"--temperature-moves must be zero or more, got {self.temperature_moves}")


def job_seed(seed: int, job: int) -> int:
    return derive_seed(seed, "selfplay-job", job)


def generate_dataset(
    checkpoint: str | os.PathLike,
    path: str | os.PathLike,
    games: int,
    seed: int = 0,
    workers: int = 1,
    chunk_games: int = 512,
    log=print,
    restart: bool = False,
    progress: bool = False,
    **overrides,
) -> int:
    """Let a trained network play ``games`` self-play games and write their positions to ``path``.

    Search settings are the checkpoint's training configuration (its ``train_config``) with ``overrides``
    (``simulations``, ``bricks``, ``temperature_moves``, ...). Games are played in jobs of
    :data:`JOB_GAMES`, each seeded from ``(seed, job)``, so the file is the same for any ``workers``. Every
    ``chunk_games`` games are saved under ``<path>.parts/``; an interrupted run resumes from the saved chunks, but
    only a run with the same checkpoint content, games, seed and settings (``restart`` starts over).
    ``progress`` shows a bar of finished games (per job of 32) with the time left, from the first job on.
    Returns the number of positions.
    """
    import dataclasses

    from agents.alphazero.checkpoint import load_checkpoint
    from agents.alphazero.config import TrainConfig
    from agents.alphazero.selfplay import SelfPlayResult, play_games_worker, portable_weights
    from agents.alphazero.workers import start_workers

    if games < 1 or chunk_games < JOB_GAMES or chunk_games % JOB_GAMES:
        raise DatasetError(f"need games >= 1 and chunk_games a multiple of {JOB_GAMES} (got {games}, {chunk_games})")
    ckpt = load_checkpoint(checkpoint)
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    base = {k: v for k, v in (ckpt.train_config or {}).items() if k in known}
    if not base:
        base = {"bricks": ckpt.training_bricks or "none", "rows": ckpt.net_config.rows, "cols": ckpt.net_config.cols}
    cfg = TrainConfig.from_dict({**base, **{k: v for k, v in overrides.items() if v is not None}})
    state = portable_weights(ckpt.state_dict)
    path = dataset_path(path)
    parts = path.with_name(path.name + ".parts")
    inputs = {
        "checkpoint": file_digest(checkpoint),
        "games": games,
        "seed": seed,
        "chunk_games": chunk_games,
        "config": cfg.to_dict(),
    }
    claim_work_dir(parts, inputs, restart, "self-play chunks folder", DatasetError)
    n_jobs = -(-games // JOB_GAMES)
    per_chunk = chunk_games // JOB_GAMES
    chunk_files = []
    pool = start_workers("local", workers)
    from tqdm import tqdm

    starts = range(0, n_jobs, per_chunk)
    saved = sum(  # games in chunks an earlier run saved: the bar starts there, so its rate is this run's
        min(games, (first + per_chunk) * JOB_GAMES) - first * JOB_GAMES
        for c, first in enumerate(starts)
        if (parts / f"chunk-{c:05d}.npz").exists()
    )
    bar = tqdm(total=games, initial=saved, unit="game", desc="self-play", disable=not progress, dynamic_ncols=True)
    if progress:
        log = bar.write
    try:
        for c, first in enumerate(starts):
            part = parts / f"chunk-{c:05d}.npz"
            chunk_files.append(part)
            if part.exists():
                continue
            jobs = [
                (
                    ckpt.net_config.to_dict(),
                    state,
                    cfg.to_dict(),
                    min(JOB_GAMES, games - j * JOB_GAMES),
                    job_seed(seed, j),
                    1,
                )
                for j in range(first, min(first + per_chunk, n_jobs))
            ]
            t0 = time.perf_counter()
            done = lambda job: bar.update(job[3])  # noqa: E731 - job[3]: its number of games
            if pool is not None:
                results = pool.map(jobs, done)
            else:
                results = []
                for job in jobs:
                    results.append(play_games_worker(job))
                    done(job)
            r = SelfPlayResult.merge(results)
            seconds = time.perf_counter() - t0
            save_dataset(part, {k: getattr(r, k) for k in ARRAYS}, cfg.bricks, cfg.rows, cfg.cols)
            log(
                f"chunk {c}: {r.games} games, {r.positions} positions (P1 {r.p1_wins}, P2 {r.p2_wins}, "
                f"draws {r.draws}), {r.positions / seconds:.0f} positions/s"
            )
    finally:
        bar.close()
        if pool is not None:
            pool.close()
    chunks = [load_dataset(f) for f in chunk_files]
    merged = {k: np.concatenate([d[k] for d in chunks]) for k in ARRAYS}
    n = save_dataset(path, merged, cfg.bricks, cfg.rows, cfg.cols)
    shutil.rmtree(parts)
    return n
