"""Optional ONNX Runtime backend for network evaluation (``pip install 'bttt[onnx]'``).

The ONNX graph is written directly from a :class:`FusedPolicyValueNet`'s folded weights with
``onnx.helper`` (no tracing exporter, so it does not depend on the torch version's exporter):
convolutions carry TensorFlow's asymmetric 'same' padding natively (``pads`` begin/end), the
heads share one 1x1 convolution, and ONNX Runtime's CPU provider (MLAS, its NCHWc blocked
layout, weights packed once at session creation) runs it. Only CPU is supported: the
CUDA paths use PyTorch.
"""

from __future__ import annotations

import numpy as np

from agents.alphazero.inference import FusedPolicyValueNet
from bttt.errors import BtttError

#: ONNX opset of the graph (Conv, LeakyRelu, Gemm, Slice, Squeeze with axes as an input: 13+).
OPSET = 17
IR_VERSION = 8


class OnnxBackendError(BtttError):
    """ONNX Runtime was asked for but is not installed (or cannot run the network)."""


def onnx_available() -> bool:
    """True when both ``onnx`` and ``onnxruntime`` can be imported."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def _modules():
    try:
        import onnx
        import onnxruntime
    except ImportError:
        raise OnnxBackendError(
            "the ONNX Runtime backend needs onnx and onnxruntime, which are not installed: "
            "pip install 'bttt[onnx]' (or use backend=torch)"
        ) from None
    return onnx, onnxruntime


def _round_up(n: int, block: int) -> int:
    return -(-n // block) * block


def _pad_channels(weights: dict[str, np.ndarray], blocks: int, block: int) -> dict[str, np.ndarray]:
    """Zero-pad every trunk width to a multiple of ``block``: the extra channels are exactly zero all the
    way through (zero weights and bias, LeakyReLU(0) = 0, 0 + 0 in the skip connections), so outputs do
    not change, and ONNX Runtime can use its blocked (NCHWc) convolutions, which need such widths."""
    out = dict(weights)

    def pad(name: str, axis: int, to: int) -> None:
        w = out[name]
        extra = to - w.shape[axis]
        if extra > 0:
            widths = [(0, 0)] * w.ndim
            widths[axis] = (0, extra)
            out[name] = np.pad(w, widths)

    trunk = _round_up(out["stem_w"].shape[0], block)
    pad("stem_w", 0, trunk)
    pad("stem_b", 0, trunk)
    for i in range(blocks):
        inner = _round_up(out[f"b{i}_1_w"].shape[0], block)
        pad(f"b{i}_1_w", 0, inner)
        pad(f"b{i}_1_b", 0, inner)
        pad(f"b{i}_1_w", 1, trunk)
        pad(f"b{i}_2_w", 1, inner)
        pad(f"b{i}_2_w", 0, trunk)
        pad(f"b{i}_2_b", 0, trunk)
    pad("head_w", 1, trunk)
    return out


def build_onnx_model(fused: FusedPolicyValueNet, block: int = 16) -> bytes:
    """The serialized ONNX model equal to ``fused`` (inputs ``planes``; outputs ``logits``, ``value``).

    ``block`` > 0 zero-pads every trunk width to a multiple of it (16 covers ONNX Runtime's 8-wide AVX2
    and 16-wide AVX-512 blocks); 0 keeps the network's own widths.
    """
    onnx, _ = _modules()
    from onnx import TensorProto, helper, numpy_helper

    c = fused.config
    k = c.kernel
    before, after = (k - 1) // 2, k // 2
    pads = [before, before, after, after] if c.tf_same_padding else [k // 2] * 4
    weights = {name: p.detach().cpu().contiguous().numpy().astype(np.float32) for name, p in fused.p.items()}
    if block:
        weights = _pad_channels(weights, c.blocks, block)
    inits = [numpy_helper.from_array(np.ascontiguousarray(w), name) for name, w in weights.items()]
    nodes = []
    slope = fused.negative_slope

    def act(x: str, out: str) -> str:
        if slope:
            nodes.append(helper.make_node("LeakyRelu", [x], [out], alpha=slope))
        else:
            nodes.append(helper.make_node("Relu", [x], [out]))
        return out

    def conv(x: str, name: str, out: str, conv_pads: list[int] | None = None) -> str:
        nodes.append(
            helper.make_node("Conv", [x, f"{name}_w", f"{name}_b"], [out], pads=conv_pads if conv_pads else pads)
        )
        return out

    h = act(conv("planes", "stem", "stem_y"), "stem_h")
    for i in range(c.blocks):
        y = act(conv(h, f"b{i}_1", f"b{i}_y1"), f"b{i}_a1")
        y = conv(y, f"b{i}_2", f"b{i}_y2")
        nodes.append(helper.make_node("Add", [y, h], [f"b{i}_sum"]))
        h = act(f"b{i}_sum", f"b{i}_h")
    heads = act(conv(h, "head", "head_y", [0, 0, 0, 0]), "head_a")
    vf, total = c.value_filters, c.value_filters + c.policy_filters
    consts = {
        "s0": np.array([0], np.int64),
        "s_vf": np.array([vf], np.int64),
        "s_end": np.array([total], np.int64),
        "axis1": np.array([1], np.int64),
    }
    inits += [numpy_helper.from_array(v, n) for n, v in consts.items()]
    nodes.append(helper.make_node("Slice", [heads, "s0", "s_vf", "axis1"], ["v_maps"]))
    nodes.append(helper.make_node("Slice", [heads, "s_vf", "s_end", "axis1"], ["p_maps"]))
    nodes.append(helper.make_node("Flatten", ["v_maps"], ["v_flat"], axis=1))
    nodes.append(helper.make_node("Flatten", ["p_maps"], ["p_flat"], axis=1))

    def dense(x: str, name: str, out: str) -> str:
        inputs = [x, f"{name}_w"] + ([f"{name}_b"] if c.head_bias else [])
        nodes.append(helper.make_node("Gemm", inputs, [out], transB=1))
        return out

    v = act(dense("v_flat", "v_fc1", "v_h"), "v_a")
    v = dense(v, "v_fc2", "v_out")
    nodes.append(helper.make_node("Tanh", [v], ["v_tanh"]))
    nodes.append(helper.make_node("Squeeze", ["v_tanh", "axis1"], ["value"]))
    dense("p_flat", "p_fc", "logits")
    graph = helper.make_graph(
        nodes,
        "bttt_policy_value",
        [helper.make_tensor_value_info("planes", TensorProto.FLOAT, ["batch", c.in_planes, c.rows, c.cols])],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", c.rows * c.cols]),
            helper.make_tensor_value_info("value", TensorProto.FLOAT, ["batch"]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="bttt")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model.SerializeToString()


class OnnxRuntimeNet:
    """``planes (B, in, R, C) float32 numpy -> (logits, values)`` numpy, through an ONNX Runtime session.

    Args:
        fused: the folded network to run (its weights are copied into the session).
        threads: ONNX Runtime intra-op threads (1 matches the agents' torch default).
        block: pad trunk widths to a multiple of this (see :func:`build_onnx_model`); 0 = no padding.
    """

    def __init__(self, fused: FusedPolicyValueNet, threads: int = 1, block: int = 16) -> None:
        _, ort = _modules()
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, int(threads))
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.config = fused.config
        self.session = ort.InferenceSession(build_onnx_model(fused, block), options, providers=["CPUExecutionProvider"])

    def __call__(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.ascontiguousarray(planes, dtype=np.float32)
        logits, values = self.session.run(None, {"planes": x})
        return logits, values
