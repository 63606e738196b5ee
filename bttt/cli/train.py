"""``bttt train``: AlphaZero self-play training (:func:`agents.alphazero.trainer.train`).

Every :class:`agents.alphazero.config.TrainConfig` field is an option (``--games-per-iteration 64``). Rerunning the
same command continues an interrupted run; ``--resume CHECKPOINT`` continues a run with more iterations or on
another machine (only the schedule and machine settings may change); ``--restart`` starts a run folder over.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from bttt.cli._options import add_config_options, config_from_args

INTERRUPTED = "every finished iteration is saved; rerun the same command to resume"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from agents.alphazero.config import TrainConfig

    p.add_argument(
        "--out",
        help="run folder for checkpoint.pt, final.pt, metrics.csv, eval.csv (default runs/az-<bricks>; with "
        "--resume, the checkpoint's folder)",
    )
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue the run saved in CHECKPOINT (or its run folder)")
    p.add_argument("--restart", action="store_true", help="start the run in --out over (removes only its own files)")
    p.add_argument(
        "--export-dataset",
        metavar="FILE.npz",
        help="after training, write the replay buffer's positions to FILE.npz (for bttt prune)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing --export-dataset file written by bttt")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (log evaluation lines instead)")
    p.add_argument("--json", action="store_true", help="print the final summary as one JSON document on stdout")
    add_config_options(p.add_argument_group("training configuration"), TrainConfig, unset_default=True)


def run(args: argparse.Namespace) -> int:
    from agents.alphazero.config import TrainConfig
    from agents.alphazero.dataset import check_dataset_output, export_dataset
    from agents.alphazero.trainer import CHECKPOINT, CURVES, FINAL, prepare_run, train

    given = config_from_args(TrainConfig, args)
    cfg, out, resume = prepare_run(given, args.out, args.resume, args.restart)
    export = check_dataset_output(args.export_dataset, args.force) if args.export_dataset else None
    # the command line for the checkpoint's provenance (None when called from Python, e.g. tests)
    command = "bttt train " + shlex.join(sys.argv[2:]) if sys.argv[1:2] == ["train"] else None
    where = f"resuming at iteration {resume.progress.get('iteration', 0)}" if resume is not None else "new run"
    say = print
    if args.json:
        from bttt.jsonout import note as say
    say(
        f"training on bricks {cfg.bricks} ({cfg.net} network, {cfg.simulations} simulations, "
        f"{cfg.games_per_iteration} games/iteration) -> {out} ({where})"
    )
    progress = train(cfg, out, resume=resume, show_progress=not args.no_progress, command=command, log=say)
    curves = out / CURVES
    say(
        f"done: {progress['iteration']} iterations, {progress['games']} games, {progress['positions']} "
        f"positions, {progress['steps']} steps, {progress['elapsed_s']:.0f} s; checkpoint {out / CHECKPOINT}, "
        f"playable network {out / FINAL}, curves {curves}"
    )
    exported = None
    if export is not None:
        exported = export_dataset(out / CHECKPOINT, export)
        say(f"exported {exported} positions to {export}")
    if args.json:
        from bttt.jsonout import emit

        emit(train_summary(out, progress, curves if curves.exists() else None, export, exported))
    return 0


def train_summary(out, progress: dict, curves, export, exported: int | None) -> dict:
    """What the text summary says, with the last iteration's metrics and the last evaluation's scores."""
    import csv

    from agents.alphazero.trainer import CHECKPOINT, EVAL, FINAL, METRICS

    def rows(name):
        path = out / name
        if not path.exists():
            return []
        with open(path, newline="") as fh:
            return list(csv.DictReader(fh))

    def typed(row: dict) -> dict:
        out_row = {}
        for k, v in row.items():
            for kind in (int, float):
                try:
                    out_row[k] = kind(v) if v not in ("", None) else None
                    break
                except ValueError:
                    out_row[k] = v
        return out_row

    metrics = rows(METRICS)
    evaluation = rows(EVAL)
    last_eval = evaluation[-1]["iteration"] if evaluation else None
    return {
        "format": "bttt-train-summary",
        "version": 1,
        "out": str(out),
        "checkpoint": str(out / CHECKPOINT),
        "final": str(out / FINAL),
        "curves": None if curves is None else str(curves),
        **{k: progress[k] for k in ("iteration", "games", "positions", "steps", "elapsed_s")},
        "last_metrics": typed(metrics[-1]) if metrics else None,
        "last_evaluation": [typed(r) for r in evaluation if r["iteration"] == last_eval],
        "dataset": None if export is None else {"path": str(export), "positions": exported},
    }
