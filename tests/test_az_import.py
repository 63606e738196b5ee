"""AZ-NET: importing the paper's Keras networks reproduces their known outputs; the import command."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from agents.alphazero.checkpoint import load_checkpoint
from agents.alphazero.keras_import import KerasImportError, import_keras, training_cells_for
from agents.alphazero.network import PAPER
from bttt import GameState, Rules, parse_cells
from bttt.cli import main

# (file, training bricks, value for the side to move on the empty D4 board, highest-logit legal move)
KNOWN = [
    ("alphazero_baseline", "D4", 0.61, "D3", "D4"),
    ("alphazero_r2", "D3,D4", 0.78, "B4", "D3,D4,D5"),
    ("alphazero_r3", "C3,D3,D4", 0.69, "D2", "C3,C5,D3,D4,D5,E3,E5"),
]


def _empty_d4_outputs(net) -> tuple[float, str]:
    state = GameState(Rules(bricks="D4"))
    with torch.no_grad():
        logits, value = net(torch.from_numpy(state.observation()[None]))
    logits = logits[0].numpy()
    logits[~state.legal_mask()] = -np.inf
    return float(value[0]), state.rules.name(int(np.argmax(logits)))


@pytest.mark.parametrize(("stem", "bricks", "value", "move", "cells"), KNOWN)
def test_import_reproduces_the_papers_outputs(reference_dir: Path, stem, bricks, value, move, cells) -> None:
    ckpt = import_keras(reference_dir / "bttt-paper-models" / f"{stem}.h5")
    assert ckpt.net_config == PAPER
    assert ckpt.training_bricks == bricks
    assert ckpt.training_cells == parse_cells(cells)
    assert ckpt.extra["augmentation"] == "paper" and ckpt.extra["illegal_logit"] == -100.0
    got_value, got_move = _empty_d4_outputs(ckpt.build_net())
    assert got_value == pytest.approx(value, abs=0.01)
    assert got_move == move


def test_import_command_writes_a_loadable_checkpoint(reference_dir: Path, tmp_path: Path, capsys) -> None:
    src = reference_dir / "bttt-paper-models" / "alphazero_r2.h5"
    out = tmp_path / "r2.pt"
    assert main(["import-keras", str(src), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "highest-logit move B4" in printed and "D3, D4, D5" in printed
    ckpt = load_checkpoint(out)
    assert ckpt.training_cells == parse_cells("D3,D4,D5")
    value, move = _empty_d4_outputs(ckpt.build_net())
    assert value == pytest.approx(0.78, abs=0.01) and move == "B4"
    # refuses to overwrite without --force; --augment none keeps only the listed cells
    assert main(["import-keras", str(src), "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["import-keras", str(src), "--out", str(out), "--force", "--augment", "none"]) == 0
    assert load_checkpoint(out).training_cells == parse_cells("D3,D4")


def test_unknown_files_need_bricks_and_bad_files_are_refused(reference_dir: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "mynet.h5"
    renamed.write_bytes((reference_dir / "bttt-paper-models" / "alphazero_baseline.h5").read_bytes())
    with pytest.raises(KerasImportError, match="--bricks"):
        import_keras(renamed)
    assert import_keras(renamed, "B2").training_cells == parse_cells("B2,B6,F2,F6")
    with pytest.raises(KerasImportError, match="no Keras file"):
        import_keras(tmp_path / "absent.h5", "D4")
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    with pytest.raises(KerasImportError, match="not a readable HDF5"):
        import_keras(junk, "D4")
    import h5py

    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as fh:
        fh["x"] = np.zeros(3)
    with pytest.raises(KerasImportError, match="model_config"):
        import_keras(plain, "D4")


def test_missing_h5py_gives_an_install_hint(reference_dir: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(KerasImportError, match=r"pip install 'bttt\[keras\]'"):
        import_keras(reference_dir / "bttt-paper-models" / "alphazero_baseline.h5")


def test_training_cells_under_the_papers_flips() -> None:
    assert training_cells_for("D4") == parse_cells("D4")
    assert training_cells_for("A1") == parse_cells("A1,A7,G1,G7")
    assert training_cells_for("D3,D4", augment="none") == parse_cells("D3,D4")
    with pytest.raises(KerasImportError, match="augmentation"):
        training_cells_for("D4", augment="rot90")
