"""AZ-NET: network shapes and configuration, TensorFlow 'same' padding, the evaluator, device resolution."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from agents.alphazero.evaluator import DeviceError, Evaluator, masked_priors, resolve_device
from agents.alphazero.network import (
    PAPER,
    PRESETS,
    SMALL,
    NetConfig,
    NetConfigError,
    PolicyValueNet,
    build_net,
    preset,
)
from bttt import GameState, Rules
from bttt.errors import BtttError

CONFIGS = [
    NetConfig(channels=8, blocks=0, kernel=3, value_hidden=4),
    NetConfig(channels=8, blocks=2, kernel=5, activation="leaky_relu", conv_bias=True),
    NetConfig(
        rows=5,
        cols=6,
        channels=6,
        blocks=1,
        kernel=4,
        tf_same_padding=True,
        value_filters=2,
        policy_filters=3,
        head_bias=False,
    ),
    NetConfig(channels=8, blocks=3, block_channels=(2, 5, 8)),
    PAPER,
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.rows}x{c.cols}c{c.channels}b{c.blocks}k{c.kernel}")
def test_output_shapes_and_value_range(config: NetConfig, az_device: str) -> None:
    net = build_net(config, seed=0).eval().to(az_device)
    x = (torch.rand(5, config.in_planes, config.rows, config.cols) * 4 - 2).to(az_device)
    logits, value = net(x)
    assert logits.shape == (5, config.rows * config.cols)
    assert value.shape == (5,)
    assert torch.all(value.abs() <= 1)
    assert torch.isfinite(logits).all()


def test_module_structure_for_pruning() -> None:
    net = PolicyValueNet(NetConfig(channels=8, blocks=2, activation="leaky_relu"))
    assert isinstance(net.stem.conv, torch.nn.Conv2d) and isinstance(net.stem.bn, torch.nn.BatchNorm2d)
    assert isinstance(net.blocks, torch.nn.ModuleList) and len(net.blocks) == 2
    for block in net.blocks:
        for name in ("conv1", "bn1", "act1", "conv2", "bn2", "act2"):
            assert isinstance(getattr(block, name), torch.nn.Module)
    assert isinstance(net.stem.act, torch.nn.LeakyReLU) and net.stem.act.negative_slope == 0.3
    assert isinstance(net.value_head.fc1, torch.nn.Linear) and isinstance(net.policy_head.fc, torch.nn.Linear)
    # block_channels narrows only each block's inner width
    narrow = PolicyValueNet(NetConfig(channels=8, blocks=2, block_channels=(3, 5)))
    assert narrow.blocks[0].conv1.out_channels == 3 and narrow.blocks[0].conv2.out_channels == 8
    assert narrow.blocks[1].bn1.num_features == 5


def test_paper_preset_architecture() -> None:
    assert PRESETS["paper"] is PAPER and preset("small") is SMALL
    net = PolicyValueNet(PAPER)
    assert net.stem.conv.weight.shape == (75, 3, 4, 4) and net.stem.conv.bias is None
    assert len(net.blocks) == 5
    assert net.stem.bn.eps == 1e-3
    assert net.value_head.fc1.weight.shape == (20, 49) and net.value_head.fc1.bias is None
    assert net.value_head.fc2.weight.shape == (1, 20)
    assert net.policy_head.fc.weight.shape == (49, 98) and net.policy_head.fc.bias is None
    with pytest.raises(BtttError, match="unknown network preset"):
        preset("huge")


def test_tf_same_padding_pads_one_before_two_after() -> None:
    config = NetConfig(channels=4, blocks=0, kernel=4, tf_same_padding=True)
    net = build_net(config, seed=1)
    x = torch.rand(2, 3, 7, 7)
    conv = net.stem.conv
    expected = F.conv2d(F.pad(x, (1, 2, 1, 2)), conv.weight)  # TensorFlow: (k-1)//2 before, k//2 after
    assert torch.allclose(conv(x), expected, atol=1e-6)


def test_config_validation_and_round_trip() -> None:
    for config in CONFIGS + list(PRESETS.values()):
        assert NetConfig.from_dict(config.to_dict()) == config
    with pytest.raises(NetConfigError, match="even kernel"):
        NetConfig(kernel=4)
    with pytest.raises(NetConfigError, match="activation"):
        NetConfig(activation="gelu")
    with pytest.raises(NetConfigError, match="channels"):
        NetConfig(channels=0)
    with pytest.raises(NetConfigError, match="block_channels"):
        NetConfig(blocks=2, block_channels=(4,))
    with pytest.raises(NetConfigError, match="blocks must be zero or more"):
        NetConfig(blocks=-1)
    widths = NetConfig(channels=np.int64(8), blocks=np.int64(2), block_channels=[np.int64(3), 5])
    assert type(widths.channels) is int and widths.block_channels == (3, 5)  # e.g. from a pruning tool
    with pytest.raises(NetConfigError, match="unknown network configuration keys"):
        NetConfig.from_dict({**SMALL.to_dict(), "dropout": 0.1})
    with pytest.raises(ValueError, match="expected input planes"):
        PolicyValueNet(SMALL)(torch.zeros(1, 3, 6, 6))


def test_seeded_build_is_repeatable() -> None:
    a, b = build_net("tiny", seed=3), build_net("tiny", seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def _states() -> list[GameState]:
    rules = Rules(bricks="D4")
    return [
        GameState(rules),
        GameState.from_moves(rules, "C3,D5,A1"),
        GameState.from_moves(Rules(bricks="A7"), "D4,C4,E4"),
    ]


def test_evaluator_masks_illegal_moves_and_matches_the_network(az_device: str) -> None:
    net = build_net("tiny", seed=0)
    ev = Evaluator(net, device=az_device)
    states = _states()
    planes = np.stack([s.observation() for s in states])
    masks = np.stack([s.legal_mask() for s in states])
    priors, values = ev(planes, masks)
    assert priors.dtype == np.float32 and values.dtype == np.float32
    assert priors.shape == (3, 49) and values.shape == (3,)
    assert np.all(priors[~masks] == 0)
    np.testing.assert_allclose(priors.sum(axis=1), 1.0, rtol=1e-5)
    with torch.no_grad():
        logits, v = (t.cpu() for t in net.eval()(torch.from_numpy(planes).to(az_device)))
    np.testing.assert_allclose(values, v.numpy(), rtol=1e-5, atol=1e-6)
    for i in range(3):
        legal = np.flatnonzero(masks[i])
        expected = torch.softmax(logits[i, legal], 0).numpy()
        np.testing.assert_allclose(priors[i, legal], expected, rtol=1e-5, atol=1e-7)
    p2, v2 = ev.evaluate_states(states)
    np.testing.assert_array_equal(p2, priors)
    np.testing.assert_array_equal(v2, values)


def test_paper_masking_and_rows_without_legal_moves() -> None:
    logits = torch.tensor([[0.0, 1.0, 2.0, 3.0], [5.0, 1.0, 0.0, 0.0]])
    masks = torch.tensor([[True, True, False, False], [False, False, False, False]])
    exact = masked_priors(logits, masks, None)
    paper = masked_priors(logits, masks, -100.0)
    e = np.exp([0.0, 1.0])
    np.testing.assert_allclose(exact[0, :2].numpy(), e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(paper[0].numpy(), exact[0].numpy(), rtol=1e-6)
    assert torch.all(exact[1] == 0) and torch.all(paper[1] == 0)
    assert torch.isfinite(exact).all() and torch.isfinite(paper).all()


def test_evaluator_rejects_bad_masks_and_handles_empty_batches(az_device: str) -> None:
    ev = Evaluator(build_net("tiny", seed=0), device=az_device)
    with pytest.raises(ValueError, match="masks"):
        ev(np.zeros((2, 3, 7, 7), np.float32), np.ones((2, 48), bool))
    priors, values = ev(np.zeros((0, 3, 7, 7), np.float32), np.zeros((0, 49), bool))
    assert priors.shape == (0, 49) and values.shape == (0,)


def test_resolve_device() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    auto = resolve_device("auto")
    assert auto.type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device("tpu0")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="CUDA is not available"):
            resolve_device("cuda")
        with pytest.raises(DeviceError, match="CUDA is not available"):
            resolve_device("cuda:1")
    else:
        assert resolve_device("cuda").type == "cuda"
        with pytest.raises(DeviceError, match="CUDA device"):
            resolve_device(f"cuda:{torch.cuda.device_count()}")


def test_evaluator_on_auto_device_matches_cpu() -> None:
    """On a GPU machine this checks the CUDA path; on CPU-only ones auto resolves to the CPU."""
    net = build_net("small", seed=2)
    states = _states()
    planes = np.stack([s.observation() for s in states])
    masks = np.stack([s.legal_mask() for s in states])
    cpu = Evaluator(build_net("small", seed=2), "cpu")(planes, masks)
    auto = Evaluator(net, "auto")
    assert next(auto.net.parameters()).device.type == auto.device.type
    got = auto(planes, masks)
    np.testing.assert_allclose(got[0], cpu[0], atol=1e-4)
    np.testing.assert_allclose(got[1], cpu[1], atol=1e-4)


@pytest.mark.parametrize("backend", ["torch", "plain"])
def test_evaluator_on_the_test_device_matches_cpu(az_device: str, backend: str) -> None:
    """``BTTT_TEST_DEVICE=cuda`` runs this on the GPU: tensors on the device, numpy results equal the CPU's."""
    states = _states()
    planes = np.stack([s.observation() for s in states])
    masks = np.stack([s.legal_mask() for s in states])
    cpu = Evaluator(build_net("small", seed=2), "cpu", backend="plain")(planes, masks)
    ev = Evaluator(build_net("small", seed=2), az_device, backend=backend)
    assert next(ev.net.parameters()).device == torch.device(az_device) and ev.device == torch.device(az_device)
    logits, values = ev.logits_values(planes)
    assert logits.device == ev.device and values.device == ev.device
    got = ev(planes, masks)
    np.testing.assert_allclose(got[0], cpu[0], atol=1e-5)
    np.testing.assert_allclose(got[1], cpu[1], atol=1e-5)
