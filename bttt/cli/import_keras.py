"""``bttt import-keras``: convert one of the paper's Keras AlphaZero networks into a bttt checkpoint."""

from __future__ import annotations

import argparse
from pathlib import Path

INTERRUPTED = "nothing was written"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the Keras HDF5 file, e.g. alphazero_baseline.h5")
    p.add_argument("--out", help="checkpoint to write (default: FILE's name with .pt, in the current folder)")
    p.add_argument(
        "--bricks",
        default=None,
        help="brick distribution it was trained on (e.g. D4, D3,D4); default: known for the "
        "paper's alphazero_baseline/r2/r3 files",
    )
    p.add_argument(
        "--augment",
        choices=("paper", "none"),
        default="paper",
        help="augmentation used in training: paper (up/down and left/right flips, which add the "
        "mirror images of off-centre bricks to the training cells) or none (default paper)",
    )
    p.add_argument("--force", action="store_true", help="replace --out if it exists and is a bttt checkpoint")


def run(args: argparse.Namespace) -> int:
    import torch

    from agents.alphazero.checkpoint import is_checkpoint, save_checkpoint
    from agents.alphazero.keras_import import import_keras
    from bttt import BrickDistribution, GameState, Rules, layout_name
    from bttt.errors import BtttError
    from bttt.paths import check_output_file

    source = Path(args.file)
    if not source.is_file():
        raise BtttError(f"no Keras file at {source}: give the path of an .h5 file such as alphazero_baseline.h5")
    out = Path(args.out) if args.out else Path(source.with_suffix(".pt").name)  # never beside the input
    if out.resolve() == source.resolve():
        raise BtttError(f"--out {out} would overwrite the Keras file; choose a .pt path")
    check_output_file(out, "--out", force=args.force, ours=is_checkpoint)
    ckpt = import_keras(source, args.bricks, args.augment)
    save_checkpoint(out, ckpt)

    config = ckpt.net_config
    layouts = BrickDistribution.parse(ckpt.training_bricks, config.rows, config.cols).layouts
    centre = (config.rows // 2) * config.cols + config.cols // 2
    layout = next((lay for lay in layouts if lay == (centre,)), layouts[0])
    rules = Rules(config.rows, config.cols, bricks=layout)
    state = GameState(rules)
    net = ckpt.build_net()
    with torch.no_grad():
        logits, value = net(torch.from_numpy(state.observation()[None]))
    logits = logits[0].masked_fill(~torch.from_numpy(state.legal_mask()), float("-inf"))
    cells = ", ".join(rules.name(c) for c in ckpt.training_cells)
    print(f"wrote {out}")
    print(
        f"  network: {config.channels} filters, {config.kernel}x{config.kernel} kernels, "
        f"{config.blocks} residual blocks ({net.parameter_count():,} parameters)"
    )
    print(f"  trained on bricks {ckpt.training_bricks}; training cells (with {args.augment} augmentation): {cells}")
    print(
        f"  empty board, brick {layout_name(layout, config.rows, config.cols)}: "
        f"value {float(value[0]):+.3f} for the side to move, "
        f"highest-logit move {rules.name(int(logits.argmax()))}"
    )
    print(f"  play it: bttt play --p1 human --p2 'alphazero:checkpoint={out},simulations=100,paper=true'")
    return 0
