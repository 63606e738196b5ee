"""``bttt prune``: DropNet + SILO on a trained AlphaZero network, written back as a playable checkpoint
(:func:`agents.alphazero.compress.compress`; see that module for the method)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bttt.cli._options import add_config_options, config_from_args

INTERRUPTED = "every finished cycle is saved in the work folder; rerun the same command to resume"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from agents.alphazero.compress import CompressConfig

    p.add_argument(
        "checkpoint", help="trained AlphaZero checkpoint (.pt), or a shipped name (d4, r2, r3, all, d4-half)"
    )
    p.add_argument(
        "--dataset",
        required=True,
        nargs="+",
        metavar="FILE.npz",
        help="self-play positions (bttt selfplay, bttt train --export-dataset); several files are combined",
    )
    p.add_argument("--out", help="pruned checkpoint to write (default <checkpoint>-pruned.pt in this folder)")
    p.add_argument("--work-dir", help="per-cycle checkpoints for resuming (default <out>.run)")
    p.add_argument("--report", help="per-cycle CSV (default <out>.csv)")
    p.add_argument("--restart", action="store_true", help="discard the work folder of an earlier run with other inputs")
    p.add_argument("--force", action="store_true", help="replace an existing --out/--report written by bttt")
    p.add_argument("--no-latency", dest="latency", action="store_false", default=None, help="skip the CPU latency")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (the per-cycle lines only)")
    p.add_argument("--json", action="store_true", help="print the final summary as one JSON document on stdout")
    add_config_options(p.add_argument_group("pruning configuration"), CompressConfig, exclude=("latency",))


def run(args: argparse.Namespace) -> int:
    from agents.alphazero.agent import resolve_checkpoint
    from agents.alphazero.compress import CompressConfig, compress

    given = config_from_args(CompressConfig, args)
    if args.latency is not None:
        given["latency"] = args.latency
    config = CompressConfig(**given)
    src = resolve_checkpoint(args.checkpoint)
    out = Path(args.out) if args.out else Path(src.stem + "-pruned.pt")
    work = Path(args.work_dir) if args.work_dir else out.with_name(out.name + ".run")
    report = Path(args.report) if args.report else out.with_suffix(".csv")
    from tqdm import tqdm

    from bttt.jsonout import note

    bars: list = []  # the bar starts with the first measured cycle, so that a refused run prints only its error

    def log(text: str) -> None:  # every measured cycle logs one line that starts with its tags
        if not bars:
            total = config.cycles + 1
            bars.append(tqdm(total=total, unit="cycle", desc="prune", disable=args.no_progress, dynamic_ncols=True))
        (bars[0].write if not args.no_progress else note if args.json else print)(text)
        if text.startswith("method="):
            bars[0].update(1)

    try:
        res = compress(src, args.dataset, out, config, work, report, log, restart=args.restart, force=args.force)
    finally:
        for bar in bars:
            bar.close()
    first, last = res.rows[0], res.rows[-1]
    w = res.widths
    if args.json:
        from bttt.jsonout import emit

        emit(
            {
                "format": "bttt-prune-summary",
                "version": 1,
                "stop_reason": res.stop_reason,
                "widths": w,
                "cycles": len(res.rows) - 1,
                "first": first,
                "last": last,
                "out": str(res.out),
                "report": str(res.report),
                "plot": None if res.plot is None else str(res.plot),
            }
        )
        return 0
    print(f"stopped: {res.stop_reason}")
    print(
        f"trunk {w['channels'][0]} -> {w['channels'][1]} channels, inner {w['inner'][0]} -> {w['inner'][1]}, "
        f"value hidden {w['value_hidden'][0]} -> {w['value_hidden'][1]}"
    )
    print(
        f"parameters {first['params']} -> {last['params']} ({last['params_frac']:.3f}), "
        f"MACs {first['macs']} -> {last['macs']} ({last['macs_frac']:.3f})"
    )
    if "latency_b1_ms" in last:
        print(
            f"CPU latency batch 1: {first['latency_b1_ms']:.3f} -> {last['latency_b1_ms']:.3f} ms, "
            f"batch 64: {first['latency_b64_ms']:.3f} -> {last['latency_b64_ms']:.3f} ms"
        )
    print(
        f"held-out policy loss {first['val_policy_loss']:.4f} -> {last['val_policy_loss']:.4f}, "
        f"value loss {first['val_value_loss']:.4f} -> {last['val_value_loss']:.4f}, "
        f"move agreement {first['val_top1']:.3f} -> {last['val_top1']:.3f}, same best move as the "
        f"unpruned network {last['val_teacher_top1']:.3f}"
    )
    print(f"wrote {res.out} (play it with alphazero:checkpoint={res.out}), report {res.report}, plot {res.plot}")
    return 0
