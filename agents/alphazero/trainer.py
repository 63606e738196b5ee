"""The AlphaZero training loop, top to bottom (CleanRL style).

One iteration = (1) self-play ``games_per_iteration`` games with the current network
(batched search, optionally in worker processes with CPU copies of the weights),
(2) add their positions to the replay buffer, (3) ``train_steps`` gradient steps on
policy cross-entropy + value MSE + L2 (weight decay) over augmented samples,
(4) every ``eval_every`` iterations play fixed opponents on training and novel
cells, (5) write the checkpoint atomically. Everything needed to continue exactly
(optimizer, RNG states, replay buffer, counters) is in the checkpoint, so
``--resume`` after an interruption gives the same network as an uninterrupted run.

Files in the output folder: ``checkpoint.pt`` (full, resumable), ``final.pt``
(weights, config and progress only: the file to ship or play with),
``metrics.csv`` (one row per iteration: losses, the policy's entropy, speed), ``eval.csv`` (one row per
opponent, cell group and colour per evaluation), ``curves.png`` (both drawn, :mod:`agents.alphazero.curves`),
TensorBoard events if tensorboard is installed.
"""

from __future__ import annotations

import csv
import os
import platform
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from agents.alphazero.augment import allowed_transforms, augmented_cells
from agents.alphazero.checkpoint import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from agents.alphazero.config import TrainConfig
from agents.alphazero.evaluation import run_evaluation
from agents.alphazero.evaluator import Evaluator, resolve_device
from agents.alphazero.losses import masked_log_policy, policy_value_loss
from agents.alphazero.network import PolicyValueNet, preset
from agents.alphazero.replay import ReplayBuffer
from agents.alphazero.selfplay import SelfPlayResult, play_games, portable_weights
from agents.alphazero.workers import start_workers
from bttt.errors import BtttError
from bttt.seeding import derive_seed

CHECKPOINT, FINAL, METRICS, EVAL, CURVES = "checkpoint.pt", "final.pt", "metrics.csv", "eval.csv", "curves.png"
SNAPSHOTS = "snapshots"


def iteration_seed(seed: int, iteration: int, purpose: int) -> int:
    """Independent seed for (run seed, iteration, purpose): 1 self-play, 2 evaluation."""
    return derive_seed(seed, "train", iteration, purpose)


def _rng_state(rng: np.random.Generator) -> dict:
    s = rng.bit_generator.state  # 128-bit ints: stored as text
    return {
        "bit_generator": s["bit_generator"],
        "state": str(s["state"]["state"]),
        "inc": str(s["state"]["inc"]),
        "has_uint32": int(s["has_uint32"]),
        "uinteger": int(s["uinteger"]),
    }


def _restore_rng(d: dict) -> np.random.Generator:
    rng = np.random.default_rng()
    rng.bit_generator.state = {
        "bit_generator": d["bit_generator"],
        "state": {"state": int(d["state"]), "inc": int(d["inc"])},
        "has_uint32": int(d["has_uint32"]),
        "uinteger": int(d["uinteger"]),
    }
    return rng


def _make_optimizer(cfg: TrainConfig, net: PolicyValueNet) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


def _append_csv(path: Path, rows: list[dict]) -> None:
    """Append rows; a file of an earlier bttt without some of the new columns is rewritten with all of them (its old
    rows get empty cells there), so every row stays under its header."""
    if not rows:
        return
    fields = list(rows[0])
    if path.exists():
        with open(path, newline="") as fh:
            old = list(csv.DictReader(fh))
            header = list(old[0]) if old else fields
        if set(fields) - set(header):
            union = header + [f for f in fields if f not in header]
            from bttt.paths import atomic_write

            text = _csv_text(union, old + rows)
            atomic_write(path, text)
            return
        fields = header
    new = not path.exists()
    with open(path, "a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, restval="")
        if new:
            writer.writeheader()
        writer.writerows(rows)


def _csv_text(fields: list[str], rows: list[dict]) -> str:
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, restval="", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _tensorboard(out: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional
        return None
    return SummaryWriter(str(out / "tb"))


#: Settings a resumed run may change (the schedule and the machine); the checkpoint records the new values and the
#: resume command in its provenance.
RESUMABLE_CHANGES = frozenset(
    {
        "iterations",
        "workers",
        "backend",
        "address",
        "threads",
        "device",
        "eval_every",
        "eval_games",
        "eval_opponents",
        "eval_novel",
        "eval_simulations",
        "train_steps",
        "lr",
        "games_per_iteration",
        "parallel_games",
        "temperature_moves",
        "snapshot_every",
    }
)
#: Files of a run folder, all written by :func:`train` (``--restart`` removes these and nothing else).
RUN_FILES = (CHECKPOINT, FINAL, METRICS, EVAL, CURVES)


def resume_clashes(saved: dict, given: dict) -> list[str]:
    """The given options that differ from a stored run's and may not change on resume."""
    return [
        f"--{k.replace('_', '-')} {given[k]!r} (checkpoint: {saved.get(k)!r})"
        for k in sorted(given)
        if k not in RESUMABLE_CHANGES and saved.get(k) != given[k]
    ]


def check_resume_config(saved: dict, given: dict, path: Path) -> None:
    """Refuse to resume when the command line asks for a different run than the checkpoint holds."""
    clash = resume_clashes(saved, given)
    if clash:
        raise CheckpointError(
            f"checkpoint {path} was trained with other settings: {'; '.join(clash)}. Resume without these "
            "options (the checkpoint's settings are used) or start a new run with another --out"
        )


def load_for_resume(path: Path) -> tuple[Checkpoint, TrainConfig]:
    ckpt = load_checkpoint(path)
    if not ckpt.train_config or "replay" not in ckpt.extra or "optimizer" not in ckpt.extra:
        raise CheckpointError(
            f"{path} cannot be resumed: it holds no training state (a released/final or imported "
            "checkpoint); resume from the run's checkpoint.pt"
        )
    try:
        cfg = TrainConfig.from_dict(ckpt.train_config)
    except (BtttError, TypeError) as exc:
        raise CheckpointError(f"{path} has an invalid training configuration: {exc}") from None
    return ckpt, cfg


def default_run_dir(bricks: str) -> Path:
    slug = "".join(ch if ch.isalnum() else "-" for ch in bricks.lower()).strip("-") or "none"
    return Path("runs") / f"az-{slug}"


def prepare_run(
    given: dict, out: str | os.PathLike | None = None, resume: str | os.PathLike | None = None, restart: bool = False
) -> tuple[TrainConfig, Path, Checkpoint | None]:
    """Decide what a training command does, checking every input before any work: (config, run folder, checkpoint
    to resume from or None).

    * ``resume`` (a checkpoint.pt or its folder) continues that run; only :data:`RESUMABLE_CHANGES` may differ.
    * Otherwise, when the run folder already holds a run: the same settings resume it (rerunning the same command
      continues an interrupted run), other settings are refused with the fix, and ``restart`` starts over
      (removing only the run's own files, :data:`RUN_FILES`).
    """
    from bttt.paths import check_output_dir

    ckpt = None
    if resume is not None:
        path = Path(resume)
        if path.is_dir():
            path = path / CHECKPOINT
        ckpt, saved = load_for_resume(path)
        check_resume_config(saved.to_dict(), given, path)
        cfg = TrainConfig.from_dict({**saved.to_dict(), **given})
        run_dir = Path(out) if out is not None else path.parent
        if run_dir.resolve() != path.parent.resolve() and (run_dir / CHECKPOINT).exists():
            raise CheckpointError(f"--out {run_dir} already holds another run; choose an empty folder")
    else:
        cfg = TrainConfig(**given)
        run_dir = Path(out) if out is not None else default_run_dir(cfg.bricks)
        existing = run_dir / CHECKPOINT
        if existing.exists() and restart:
            load_for_resume(existing)  # a bttt run folder, or refuse to touch it
            for name in RUN_FILES:
                (run_dir / name).unlink(missing_ok=True)
            shutil.rmtree(run_dir / "tb", ignore_errors=True)
            shutil.rmtree(run_dir / SNAPSHOTS, ignore_errors=True)
        elif existing.exists():
            ckpt, saved = load_for_resume(existing)
            clash = resume_clashes(saved.to_dict(), given)
            if clash:
                raise CheckpointError(
                    f"{run_dir} holds a run with other settings: {'; '.join(clash)}. Rerun with that run's settings "
                    f"to resume it, pass --restart to start it over, or choose another --out"
                )
            cfg = TrainConfig.from_dict({**saved.to_dict(), **given})
    if ckpt is not None and ckpt.progress.get("iteration", 0) > cfg.iterations:
        raise CheckpointError(
            f"the run in {run_dir} already finished {ckpt.progress.get('iteration')} iterations, more than "
            f"--iterations {cfg.iterations}; raise --iterations to train further"
        )
    check_output_dir(run_dir, "--out")
    return cfg, run_dir, ckpt


def train(
    cfg: TrainConfig,
    out: str | Path,
    resume: Checkpoint | None = None,
    show_progress: bool = True,
    log: Callable[[str], None] = print,
    command: str | None = None,
) -> dict:
    """Run (or continue) training until ``cfg.iterations``; returns the final progress counters."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(cfg.device)
    torch.set_num_threads(cfg.threads)
    dist = cfg.distribution()
    transforms = allowed_transforms(dist, cfg.augment)
    training_cells = augmented_cells(dist, cfg.augment)

    # ---- 1. network, optimizer, replay buffer, RNG, counters (fresh or restored)
    if resume is None:
        torch.manual_seed(cfg.seed)
        net = PolicyValueNet(preset(cfg.net).replace(rows=cfg.rows, cols=cfg.cols))
        if cfg.init_from:
            _warm_start(net, cfg.init_from)
        net.to(device)
        optimizer = _make_optimizer(cfg, net)
        buffer = ReplayBuffer(cfg.replay_capacity, cfg.rows, cfg.cols)
        rng = np.random.default_rng(cfg.seed)
        progress = {"iteration": 0, "games": 0, "positions": 0, "steps": 0, "elapsed_s": 0.0}
        provenance = {
            "command": command,
            "hardware": _hardware(device),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    else:
        net = resume.build_net(device)
        optimizer = _make_optimizer(cfg, net)
        optimizer.load_state_dict(resume.extra["optimizer"])
        buffer = ReplayBuffer.from_state_dict(resume.extra["replay"])
        rng = _restore_rng(resume.extra["rng"])
        torch.set_rng_state(torch.as_tensor(resume.extra["torch_rng"], dtype=torch.uint8))
        progress = dict(resume.progress)
        provenance = dict(resume.extra.get("provenance", {}))
        provenance.setdefault("resumed", []).append(
            {"command": command, "at_iteration": progress["iteration"], "hardware": _hardware(device)}
        )

    workers = start_workers(cfg.backend, cfg.workers, cfg.address)
    writer = _tensorboard(out)
    bar = None
    if show_progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.iterations, initial=progress["iteration"], desc=f"train {cfg.bricks}", unit="it")
    try:
        while progress["iteration"] < cfg.iterations:
            it = progress["iteration"]
            t_iter = time.perf_counter()

            # ---- 2. self-play with the current weights
            net.eval()
            sp_seed = iteration_seed(cfg.seed, it, 1)
            if workers is None:
                result = play_games(Evaluator(net, device), cfg, cfg.games_per_iteration, sp_seed)
            else:
                state = portable_weights(net.state_dict())
                shares = np.array_split(np.arange(cfg.games_per_iteration), cfg.workers)
                jobs = [
                    (net.config.to_dict(), state, cfg.to_dict(), len(s), sp_seed + w, 1)
                    for w, s in enumerate(shares)
                    if len(s)
                ]
                result = SelfPlayResult.merge(workers.map(jobs))
            buffer.add(result.planes, result.masks, result.policy, result.value, result.layout)
            t_selfplay = time.perf_counter() - t_iter

            # ---- 3. learn: policy cross-entropy + value MSE (+ L2 through weight decay)
            net.train()
            losses = []
            if len(buffer) >= cfg.min_replay:
                for _ in range(cfg.train_steps):
                    planes, masks, policy, value = buffer.sample(cfg.batch_size, rng, transforms)
                    x = torch.from_numpy(planes).to(device)
                    m = torch.from_numpy(masks).to(device)
                    target_p = torch.from_numpy(policy).to(device)
                    target_v = torch.from_numpy(value).to(device)
                    logits, v = net(x)
                    policy_loss, value_loss = policy_value_loss(logits, v, m, target_p, target_v)
                    loss = policy_loss + cfg.value_weight * value_loss
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    with torch.no_grad():  # the policy's entropy over the legal moves (nats): how sure it is
                        logp = masked_log_policy(logits, m)
                        entropy = -(logp.exp() * logp.clamp_min(-1e4)).sum(dim=1).mean()
                    losses.append((loss.item(), policy_loss.item(), value_loss.item(), entropy.item()))
                    progress["steps"] += 1
            net.eval()
            t_train = time.perf_counter() - t_iter - t_selfplay

            progress["iteration"] = it + 1
            progress["games"] += result.games
            progress["positions"] += result.positions
            mean = np.mean(losses, axis=0) if losses else (float("nan"),) * 4
            row = {
                "iteration": it + 1,
                "games": progress["games"],
                "positions": progress["positions"],
                "steps": progress["steps"],
                "selfplay_s": round(t_selfplay, 3),
                "train_s": round(t_train, 3),
                "positions_per_s": round(result.positions / max(t_selfplay, 1e-9), 1),
                "search_share": round(1 - result.network_s / max(result.search_s, 1e-9), 3),
                "loss": round(float(mean[0]), 5),
                "policy_loss": round(float(mean[1]), 5),
                "value_loss": round(float(mean[2]), 5),
                "policy_entropy": round(float(mean[3]), 5),
                "p1_win_rate": round(result.p1_wins / max(result.games, 1), 4),
                "draw_rate": round(result.draws / max(result.games, 1), 4),
                "mean_plies": round(result.plies / max(result.games, 1), 2),
                "buffer": len(buffer),
            }

            # ---- 4. periodic evaluation against fixed opponents (the generalization curve)
            eval_rows = []
            if cfg.eval_every and (it + 1) % cfg.eval_every == 0:
                t_eval = time.perf_counter()
                eval_rows = run_evaluation(Evaluator(net, device), cfg, iteration_seed(cfg.seed, it, 2))
                for r in eval_rows:
                    r.update({"iteration": it + 1, "games_total": progress["games"]})
                row["eval_s"] = round(time.perf_counter() - t_eval, 3)
            else:
                row["eval_s"] = 0.0
            progress["elapsed_s"] = round(progress["elapsed_s"] + time.perf_counter() - t_iter, 3)
            row["elapsed_s"] = progress["elapsed_s"]

            # ---- 5. checkpoint (atomic), then logs
            extra = {
                "optimizer": optimizer.state_dict(),
                "replay": buffer.state_dict(),
                "rng": _rng_state(rng),
                "torch_rng": torch.get_rng_state().numpy(),
                "provenance": provenance,
            }
            ckpt = Checkpoint.from_net(
                net,
                training_bricks=cfg.bricks,
                training_cells=training_cells,
                train_config=cfg.to_dict(),
                progress=dict(progress),
                extra=extra,
            )
            save_checkpoint(out / CHECKPOINT, ckpt)
            if cfg.snapshot_every and (it + 1) % cfg.snapshot_every == 0:  # the network at points of the run
                save_checkpoint(
                    out / SNAPSHOTS / f"it{it + 1:04d}.pt", _playable(net, cfg, training_cells, progress, provenance)
                )
            _append_csv(out / METRICS, [row])
            _append_csv(
                out / EVAL,
                [{"iteration": r.pop("iteration"), "games_total": r.pop("games_total"), **r} for r in eval_rows],
            )
            if eval_rows:  # the curves stay current during a long run (and after an interruption)
                write_curves(out)
            if writer is not None:
                for k in ("loss", "policy_loss", "value_loss", "p1_win_rate", "positions_per_s"):
                    writer.add_scalar(f"train/{k}", row[k], it + 1)
                for r in eval_rows:
                    writer.add_scalar(f"eval/{r['opponent']}/{r['group']}/p{r['colour']}", r["score"], it + 1)
            if bar is not None:
                post = {"loss": row["loss"], "pos/s": row["positions_per_s"]}
                for r in eval_rows:
                    post[f"{r['opponent'].split(':')[0]}-{r['group']}-p{r['colour']}"] = r["score"]
                bar.set_postfix(post)
                bar.update(1)
            elif eval_rows:
                log(
                    f"iteration {it + 1}: "
                    + ", ".join(f"{r['opponent']} {r['group']} p{r['colour']} {r['score']}" for r in eval_rows)
                )
    finally:
        if bar is not None:
            bar.close()
        if workers is not None:
            workers.close()
        if writer is not None:
            writer.close()

    save_checkpoint(out / FINAL, _playable(net, cfg, training_cells, progress, provenance))
    write_curves(out)
    return dict(progress)


def _playable(net, cfg: TrainConfig, training_cells, progress: dict, provenance: dict) -> Checkpoint:
    """The weights, configuration and progress only: the file to ship or play with (no resume state)."""
    return Checkpoint.from_net(
        net,
        training_bricks=cfg.bricks,
        training_cells=training_cells,
        train_config=cfg.to_dict(),
        progress=dict(progress),
        extra={"provenance": provenance},
    )


def write_curves(out: Path) -> Path | None:
    """Draw ``curves.png`` from the run's ``metrics.csv`` and ``eval.csv`` (None before the first iteration)."""
    from agents.alphazero.curves import plot_curves

    if not (out / METRICS).exists():
        return None
    return plot_curves(out / METRICS, out / EVAL, out / CURVES)


def _warm_start(net: PolicyValueNet, path: str) -> None:
    """Copy another checkpoint's weights into ``net`` (same architecture required)."""
    source = load_checkpoint(path)
    if source.net_config != net.config:
        raise CheckpointError(
            f"--init-from {path}: its network ({source.net_config.channels} filters, {source.net_config.blocks} "
            f"blocks, kernel {source.net_config.kernel}) differs from --net's; pass the --net preset it was "
            "trained with"
        )
    net.load_state_dict(source.state_dict)


def _hardware(device: torch.device) -> str:
    cpu = platform.processor() or platform.machine()
    text = f"{platform.system()} {cpu}, torch {torch.__version__}, {torch.get_num_threads()} threads"
    if device.type == "cuda":
        text += f", {torch.cuda.get_device_name(device)}"
    return text
