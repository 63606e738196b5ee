"""AZ-INFER: the inference backends (BN-folded torch copy, ONNX Runtime) equal the plain network."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from agents.alphazero.evaluator import (
    BACKEND_ENV,
    BackendError,
    Evaluator,
    inference_model,
    masked_priors,
    masked_priors_numpy,
    resolve_backend,
)
from agents.alphazero.inference import FusedPolicyValueNet, fold_batchnorm, fuse
from agents.alphazero.network import PAPER, PRESETS, NetConfig, PolicyValueNet, build_net
from agents.alphazero.onnx_backend import OnnxBackendError, onnx_available
from bttt import GameState, Rules

TOLERANCE = 1e-5
CONFIGS = {
    "paper": PAPER,
    "small": PRESETS["small"],
    "tiny": PRESETS["tiny"],
    # a pruned network: every block has its own inner width, none a multiple of 8
    "pruned": PAPER.replace(channels=37, block_channels=(11, 75, 3, 20, 49)),
    "no_blocks": NetConfig(channels=8, blocks=0, kernel=3, value_hidden=4),
    "k5_relu_bias": NetConfig(channels=8, blocks=2, kernel=5, conv_bias=True),
    "k4_5x6": NetConfig(
        rows=5, cols=6, channels=6, blocks=1, kernel=4, tf_same_padding=True, value_filters=2, policy_filters=3
    ),
}
needs_onnx = pytest.mark.skipif(
    not onnx_available(), reason="onnx/onnxruntime not installed (pip install 'bttt[onnx]')"
)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread: more on a busy 2-core machine only spin (see docs/alphazero-training.md)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def trained_like(config: NetConfig, seed: int = 0) -> PolicyValueNet:
    """A network whose BatchNorm layers have non-trivial statistics (fresh ones are the identity)."""
    net = build_net(config, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=g) + 0.5
            m.bias.data = torch.randn(n, generator=g) * 0.3
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.3)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
    return net.eval()


def inputs(config: NetConfig, batch: int, seed: int = 0, real_valued: bool = True) -> torch.Tensor:
    """Stone-like 0/1 planes, the first quarter real-valued unless ``real_valued=False`` (any input must
    agree; on the paper's trained networks real-valued planes give logits of 10 or more, where float32
    rounding alone differs by about 1e-5, so those are checked on planes a game can produce)."""
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(batch, config.in_planes, config.rows, config.cols, generator=g) < 0.3).float()
    if real_valued:
        x[: batch // 4] = torch.randn(batch // 4, config.in_planes, config.rows, config.cols, generator=g)
    return x


def assert_close(got: tuple, want: tuple) -> None:
    for a, b in zip(got, want, strict=True):
        a, b = torch.as_tensor(a).cpu(), torch.as_tensor(b).cpu()
        assert a.shape == b.shape
        assert (a - b).abs().max().item() <= TOLERANCE


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("channels_last", [True, False], ids=["channels_last", "nchw"])
def test_fused_network_equals_the_plain_network(name: str, channels_last: bool, az_device: str) -> None:
    config = CONFIGS[name]
    net = trained_like(config).to(az_device)
    fused = fuse(net, channels_last=channels_last)
    assert isinstance(fused, FusedPolicyValueNet) and not any(p.requires_grad for p in fused.parameters())
    for batch in (1, 7, 33):
        x = inputs(config, batch, seed=batch).to(az_device)
        with torch.inference_mode():
            assert_close(fused(x), net(x))


def test_folding_matches_conv_then_batchnorm() -> None:
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(5, 6, 3, padding=1, bias=True)
    bn = torch.nn.BatchNorm2d(6, eps=1e-3)
    bn.running_mean.normal_()
    bn.running_var.uniform_(0.2, 2.0)
    bn.weight.data.uniform_(0.5, 1.5)
    bn.eval()
    weight, bias = fold_batchnorm(conv, bn)
    x = torch.randn(3, 5, 7, 7)
    with torch.no_grad():
        want = bn(conv(x))
    got = torch.nn.functional.conv2d(x, weight, bias, padding=1)
    assert (got - want).abs().max().item() < TOLERANCE


def test_fused_copy_is_a_snapshot_and_leaves_the_network_alone() -> None:
    net = trained_like(PRESETS["tiny"])
    before = {k: v.clone() for k, v in net.state_dict().items()}
    fused = fuse(net)
    x = inputs(net.config, 5)
    with torch.inference_mode():
        first = fused(x)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items()) and not net.training
    with torch.no_grad():
        net.stem.conv.weight.mul_(2.0)
    with torch.inference_mode():
        assert_close(fused(x), first)  # unchanged: rebuild after training
        with pytest.raises(ValueError, match="expected input planes"):
            fused(torch.zeros(2, 3, 6, 7))


@pytest.mark.parametrize("backend", ["torch", "plain", pytest.param("onnx", marks=needs_onnx)])
@pytest.mark.parametrize("name", ["paper", "small", "pruned"])
def test_evaluator_backends_give_the_plain_networks_priors_and_values(name: str, backend: str, az_device) -> None:
    if backend == "onnx" and az_device != "cpu":
        pytest.skip("the onnx backend runs on the CPU only")
    config = CONFIGS[name]
    net = trained_like(config)
    states = [GameState.from_moves(Rules(bricks=b), m) for b, m in (("D4", ""), ("A1", "C3,D3,E5"), ("G7", "A2"))]
    planes = np.stack([s.observation() for s in states])
    masks = np.stack([s.legal_mask() for s in states])
    want = Evaluator(net, az_device, backend="plain", illegal_logit=-100.0)(planes, masks)
    ev = Evaluator(net, az_device, backend=backend, illegal_logit=-100.0)
    got = ev(planes, masks)
    assert ev.backend == backend and ev.calls == 1 and ev.positions == 3
    assert got[0].dtype == np.float32 and got[1].dtype == np.float32
    assert_close(got, want)
    assert np.all(got[0][~masks] == 0)
    single = ev(planes[1], masks[1])  # one position without a batch axis
    assert_close(single, (want[0][1:2], want[1][1:2]))


def test_backend_default_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    assert resolve_backend() == "torch" and resolve_backend("auto") == "torch"
    net = build_net("tiny", seed=0).eval()
    assert Evaluator(net, "cpu").backend == "torch"
    monkeypatch.setenv(BACKEND_ENV, "plain")
    assert Evaluator(net, "cpu").backend == "plain" and Evaluator(net, "cpu", backend="torch").backend == "torch"
    monkeypatch.setenv(BACKEND_ENV, "fast")
    with pytest.raises(BackendError, match=rf"'fast' \(from \${BACKEND_ENV}\).*torch, plain, onnx"):
        Evaluator(net, "cpu")
    with pytest.raises(BackendError, match="unknown inference backend 'tvm'"):
        resolve_backend("tvm")


def test_onnx_backend_refuses_other_devices_and_explains_a_missing_install(monkeypatch) -> None:
    net = build_net("tiny", seed=0).eval()
    with pytest.raises(BackendError, match="CPU only"):
        inference_model(net, torch.device("meta"), "onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert not onnx_available()
    with pytest.raises(OnnxBackendError, match=r"pip install 'bttt\[onnx\]'"):
        Evaluator(net, "cpu", backend="onnx")


@needs_onnx
def test_onnx_graph_pads_every_width_to_whole_blocks_without_changing_outputs() -> None:
    from agents.alphazero.onnx_backend import OnnxRuntimeNet

    net = trained_like(CONFIGS["pruned"])
    x = inputs(net.config, 9)
    with torch.inference_mode():
        want = net(x)
    for block in (0, 8, 16):
        assert_close(OnnxRuntimeNet(fuse(net, channels_last=False), block=block)(x.numpy()), want)


# ---------------------------------------------------------------- the paper's networks
PAPER_KNOWN = [("alphazero_baseline", 0.61, "D3"), ("alphazero_r2", 0.78, "B4"), ("alphazero_r3", 0.69, "D2")]


@pytest.mark.parametrize(("stem", "value", "move"), PAPER_KNOWN)
@pytest.mark.parametrize("backend", ["torch", pytest.param("onnx", marks=needs_onnx)])
def test_paper_networks_keep_their_known_values(reference_dir: Path, stem, value, move, backend, az_device) -> None:
    from agents.alphazero.keras_import import import_keras

    if backend == "onnx" and az_device != "cpu":
        pytest.skip("the onnx backend runs on the CPU only")
    net = import_keras(reference_dir / "bttt-paper-models" / f"{stem}.h5").build_net(az_device)
    model = inference_model(net, torch.device(az_device), backend)
    state = GameState(Rules(bricks="D4"))
    logits, values = model(state.observation()[None].astype(np.float32))
    logits = logits[0].cpu().numpy()
    logits[~state.legal_mask()] = -np.inf
    assert float(values[0]) == pytest.approx(value, abs=0.01)
    assert state.rules.name(int(np.argmax(logits))) == move
    # and the whole output equals the plain module's on mid-game positions
    x = inputs(net.config, 32, seed=3, real_valued=False)
    with torch.inference_mode():
        want = net(x.to(az_device))
    assert_close(model(x.numpy()), want)


@pytest.mark.parametrize("illegal_logit", [None, -100.0])
def test_numpy_masked_priors_equal_torchs(illegal_logit) -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 4, size=(64, 49)).astype(np.float32)
    masks = rng.random((64, 49)) < 0.6
    masks[0] = False  # a row with no legal move: all zeros, not NaN
    masks[1] = False
    masks[1, 7] = True  # one legal move: probability 1
    fast = masked_priors_numpy(logits, masks, illegal_logit)
    slow = masked_priors(torch.from_numpy(logits), torch.from_numpy(masks), illegal_logit).numpy()
    assert fast.dtype == np.float32 and np.abs(fast - slow).max() < 1e-6
    assert not fast[0].any() and fast[1, 7] == pytest.approx(1.0) and (fast[~masks] == 0).all()
    # each row on its own: the batch size does not change a row's priors
    assert np.array_equal(masked_priors_numpy(logits[5:6], masks[5:6], illegal_logit)[0], fast[5])
