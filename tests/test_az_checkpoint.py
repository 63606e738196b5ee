"""AZ-NET: checkpoints round-trip exactly, are written atomically and refuse damaged or mismatched files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from agents.alphazero.checkpoint import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from agents.alphazero.network import NetConfig, build_net

CONFIG = NetConfig(channels=8, blocks=2, kernel=3, value_hidden=8, block_channels=(5, 8))


def _checkpoint() -> Checkpoint:
    net = build_net(CONFIG, seed=4)
    # give the BN layers non-trivial running statistics so they are part of the round trip
    net.train()
    with torch.no_grad():
        net(torch.rand(16, 3, 7, 7))
    return Checkpoint.from_net(
        net,
        training_bricks="D3,D4",
        training_cells=(23, 24, 25),
        train_config={"lr": 0.01, "bricks": "D3,D4", "sizes": (1, 2)},
        progress={"iteration": 7, "games": 120, "positions": np.int64(3400), "elapsed_s": 12.5},
        extra={
            "optimizer": torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9).state_dict(),
            "numpy_rng": np.random.default_rng(5).bit_generator.state,
            "replay": {
                "planes": np.arange(24, dtype=np.uint8).reshape(2, 3, 2, 2),
                "value": np.array([0.5, -1.0], np.float32),
            },
        },
    )


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, Checkpoint]:
    ckpt = _checkpoint()
    path = tmp_path / "net.pt"
    save_checkpoint(path, ckpt)
    return path, ckpt


def test_round_trip_gives_identical_outputs_and_metadata(saved, az_device: str) -> None:
    path, ckpt = saved
    loaded = load_checkpoint(path)
    assert loaded.net_config == CONFIG
    assert loaded.training_bricks == "D3,D4" and loaded.training_cells == (23, 24, 25)
    assert loaded.train_config == {"lr": 0.01, "bricks": "D3,D4", "sizes": (1, 2)}
    assert loaded.progress == {"iteration": 7, "games": 120, "positions": 3400, "elapsed_s": 12.5}
    assert loaded.extra["numpy_rng"] == np.random.default_rng(5).bit_generator.state
    replay = loaded.extra["replay"]
    assert isinstance(replay["planes"], np.ndarray) and replay["planes"].dtype == np.uint8
    np.testing.assert_array_equal(replay["planes"], np.arange(24).reshape(2, 3, 2, 2))
    x = torch.rand(6, 3, 7, 7)
    with torch.no_grad():
        a = ckpt.build_net()(x)
        b = loaded.build_net()(x)
        on_device = loaded.build_net(az_device)
        c = on_device(x.to(az_device))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert next(on_device.parameters()).device == torch.device(az_device)
    np.testing.assert_allclose(c[0].cpu().numpy(), a[0].numpy(), atol=1e-5)  # the same weights on the device
    assert not loaded.build_net().training


def test_save_is_atomic_and_leaves_no_temporary_files(saved, tmp_path: Path) -> None:
    path, ckpt = saved
    before = path.read_bytes()
    bad = Checkpoint(CONFIG, ckpt.state_dict, extra={"oops": object()})
    with pytest.raises(CheckpointError, match="cannot store object"):
        save_checkpoint(path, bad)
    assert path.read_bytes() == before  # the old checkpoint is untouched
    save_checkpoint(path, ckpt)  # overwrite in place
    assert sorted(os.listdir(tmp_path)) == ["net.pt"]
    nested = tmp_path / "a" / "b" / "c.pt"
    save_checkpoint(nested, ckpt)
    assert load_checkpoint(nested).net_config == CONFIG


def test_saved_file_gets_the_umask_mode_not_mkstemps_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        save_checkpoint(tmp_path / "shared.pt", _checkpoint())
    finally:
        os.umask(old)
    assert (tmp_path / "shared.pt").stat().st_mode & 0o777 == 0o644


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "absent.pt")
    with pytest.raises(CheckpointError, match="folder"):
        load_checkpoint(tmp_path)


def test_truncated_file(saved) -> None:
    path, _ = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated, corrupt"):
        load_checkpoint(path)


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.pt"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(CheckpointError, match="truncated, corrupt"):
        load_checkpoint(path)


def test_keras_file_is_pointed_to_import_keras(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    with pytest.raises(CheckpointError, match="bttt import-keras"):
        load_checkpoint(path)


def test_missing_key(saved) -> None:
    path, _ = saved
    payload = torch.load(path, weights_only=True)
    del payload["progress"]
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="missing progress"):
        load_checkpoint(path)


def test_foreign_pytorch_file_and_newer_version(saved) -> None:
    path, _ = saved
    torch.save(build_net("tiny").state_dict(), path)  # a bare state_dict, not a checkpoint
    with pytest.raises(CheckpointError, match="not a bttt AlphaZero checkpoint"):
        load_checkpoint(path)
    save_checkpoint(path, _checkpoint())
    payload = torch.load(path, weights_only=True)
    payload["version"] = 99
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="upgrade bttt"):
        load_checkpoint(path)


def test_state_dict_that_does_not_match_the_config(saved) -> None:
    path, _ = saved
    payload = torch.load(path, weights_only=True)
    payload["net_config"] = {**payload["net_config"], "channels": 16}
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="wrong shapes"):
        load_checkpoint(path)
    payload = torch.load(path, weights_only=True)
    payload["net_config"]["channels"] = 8
    del payload["state_dict"]["blocks.1.conv2.weight"]
    payload["state_dict"]["blocks.9.conv1.weight"] = torch.zeros(1)
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=r"missing weights blocks\.1\.conv2\.weight.*unexpected"):
        load_checkpoint(path)


def test_invalid_network_configuration(saved) -> None:
    path, _ = saved
    payload = torch.load(path, weights_only=True)
    payload["net_config"]["kernel"] = 4
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=r"invalid network configuration.*even kernel"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    "field, value, fragment",  # internal errors found by the 200-example fuzz run
    [
        ("net_config.block_channels", "W", "block_channels must be a list of integers"),
        ("progress", "text", "progress is not a dict"),
        ("train_config", [1], "train_config is not a dict"),
        ("training_bricks", 5, "training bricks are not a layout text"),
    ],
)
def test_a_field_of_the_wrong_type_is_a_checkpoint_error(saved, field, value, fragment) -> None:
    path, _ = saved
    payload = torch.load(path, weights_only=True)
    if field.startswith("net_config."):
        payload["net_config"][field.split(".", 1)[1]] = value
    else:
        payload[field] = value
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=fragment):
        load_checkpoint(path)
