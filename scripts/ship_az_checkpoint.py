"""Copy a training run's network into the package as a shipped checkpoint, with its record beside it.

    python scripts/ship_az_checkpoint.py /path/to/run d4 --eval-json d4_eval.json

writes ``agents/alphazero/checkpoints/d4.pt`` (weights, network and training
configuration, brick distribution, training cells, progress counters and
provenance; no optimizer or replay buffer, so it is small) and ``d4.json``: the
commands that trained it, the configuration, the training time, the hardware and,
if given, the acceptance match from ``scripts/eval_az_checkpoint.py --json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from agents.alphazero.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from bttt.cells import cell_name

DEST = Path(__file__).resolve().parents[1] / "agents" / "alphazero" / "checkpoints"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run", help="run folder (its checkpoint.pt is shipped) or a checkpoint file")
    p.add_argument("name", help="shipped name, e.g. d4, r2, r3, all")
    p.add_argument(
        "--eval-json",
        action="append",
        default=[],
        help="acceptance results written by scripts/eval_az_checkpoint.py --json (repeatable)",
    )
    p.add_argument("--note", default="", help="free text stored in the record")
    args = p.parse_args(argv)
    src = Path(args.run)
    if src.is_dir():
        src = src / "checkpoint.pt"
    ckpt = load_checkpoint(src)
    provenance = dict(ckpt.extra.get("provenance", {}))
    shipped = Checkpoint(
        net_config=ckpt.net_config,
        state_dict=ckpt.state_dict,
        training_bricks=ckpt.training_bricks,
        training_cells=ckpt.training_cells,
        train_config=ckpt.train_config,
        progress=ckpt.progress,
        extra={"provenance": provenance, "shipped_as": args.name},
    )
    DEST.mkdir(parents=True, exist_ok=True)
    pt = DEST / f"{args.name}.pt"
    save_checkpoint(pt, shipped)
    pt.chmod(0o644)
    cfg = ckpt.net_config
    record = {
        "name": args.name,
        "file": pt.name,
        "training_bricks": ckpt.training_bricks,
        "training_cells": [cell_name(c, cfg.rows, cfg.cols) for c in ckpt.training_cells or ()],
        "network": cfg.to_dict(),
        "parameters": sum(
            int(v.numel())
            for k, v in ckpt.state_dict.items()
            if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))
        ),
        "train_config": ckpt.train_config,
        "progress": ckpt.progress,
        "training_time_s": ckpt.progress.get("elapsed_s"),
        "commands": [provenance.get("command")] + [r.get("command") for r in provenance.get("resumed", [])],
        "hardware": provenance.get("hardware"),
        "provenance": provenance,
        "shipped": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "note": args.note,
    }
    chain, total = _warm_start_chain(ckpt.train_config or {})
    if chain:
        record["warm_started_from"] = chain
        record["training_time_s"] = round((ckpt.progress.get("elapsed_s") or 0) + total, 1)
        record["training_time_note"] = "this run plus every run it was warm-started from (--init-from)"
    if args.eval_json:
        record["acceptance"] = [json.loads(Path(f).read_text()) for f in args.eval_json]
        record["acceptance_command"] = (
            "python scripts/eval_az_checkpoint.py agents/alphazero/checkpoints/"
            f"{args.name}.pt --simulations S --games 10 --colours 1 --seed 0"
        )
    (DEST / f"{args.name}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"shipped {pt} ({pt.stat().st_size / 1024:.0f} KiB) and {args.name}.json")
    return 0


def _warm_start_chain(train_config: dict) -> tuple[list[dict], float]:
    """The runs a checkpoint was warm-started from (``--init-from``), newest first, and their total time."""
    chain, total = [], 0.0
    source = train_config.get("init_from")
    while source:
        try:
            prev = load_checkpoint(source)
        except Exception as exc:  # noqa: BLE001 - record what is known, do not fail the shipping
            chain.append({"checkpoint": source, "error": str(exc)})
            break
        prov = prev.extra.get("provenance", {})
        chain.append(
            {
                "checkpoint": source,
                "training_bricks": prev.training_bricks,
                "progress": prev.progress,
                "train_config": prev.train_config,
                "commands": [prov.get("command")] + [r.get("command") for r in prov.get("resumed", [])],
                "hardware": prov.get("hardware"),
            }
        )
        total += float(prev.progress.get("elapsed_s") or 0)
        source = (prev.train_config or {}).get("init_from")
    return chain, total


if __name__ == "__main__":
    sys.exit(main())
