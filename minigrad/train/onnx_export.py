"""A trained classifier as one ONNX model: raw inputs in, logits out.

    from minigrad.train import export_onnx, load_model

    export_onnx(load_model("runs/digits"), "digits.onnx")

    import onnxruntime as ort                       # elsewhere: no minigrad needed
    runtime = ort.InferenceSession("digits.onnx")
    logits = runtime.run(None, {"x": x_raw})[0]   # x_raw: (N, 64) float32 for digits

The graph is the run's input preprocessing followed by its MLP, written with ONNX operators:

- per-feature normalisation (digits, spiral): `(x * scale - mean) / std`;
- per-channel normalisation (CIFAR-10): `(x - mean[c]) * (1 / std[c])` on `(N, C, H, W)`;
- ZCA whitening (CIFAR-10 with `--zca`): `(x * scale - mean) @ W`;
- `Linear` -> `Gemm` (`x @ W.T + b`), `BatchNorm1d` -> `BatchNormalization` with the running
  statistics, `ReLU`, `LeakyReLU`, `Tanh`, `Sigmoid`, `Flatten`; `Dropout` and `Identity` are
  left out (they are the identity at inference).

The input `x` is what the dataset's loader gives: uint8 images `(N, 3, 32, 32)` for CIFAR-10,
float32 `(N, 64)` pixel counts 0..16 for digits, float32 points `(N, 2)` for spiral.
Test-time views (`--tta`) are not part of the graph: they stay a Python-side option of
`TrainedModel.predict`. Building the graph needs the `onnx` package
(`pip install "minigrad[onnx]"`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad
import minigrad.nn as nn

if TYPE_CHECKING:
    from minigrad.train.model import TrainedModel

__all__ = ["OPSET", "UnsupportedLayerError", "export_onnx", "onnx_model"]

OPSET = 17  # onnxruntime 1.13 and newer run it
_IR_VERSION = 8  # the IR of opset 17, so older runtimes accept the file
_ACTIVATIONS = {nn.ReLU: "Relu", nn.Tanh: "Tanh", nn.Sigmoid: "Sigmoid"}
_SKIPPED = (nn.Dropout, nn.Identity)
SUPPORTED = "Linear, ReLU, LeakyReLU, Tanh, Sigmoid, BatchNorm1d, Dropout, Identity, Flatten"


class UnsupportedLayerError(TypeError):
    """The model holds a layer that `export_onnx` has no ONNX form for."""


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            'exporting to ONNX needs the onnx package: pip install "minigrad[onnx]" '
            "(or pip install onnx)"
        ) from None
    return onnx


class _Graph:
    """ONNX nodes and constants added one step at a time; each step returns its output."""

    def __init__(self, onnx: Any) -> None:
        self.onnx = onnx
        self.nodes: list[Any] = []  # onnx.NodeProto
        self.constants: list[Any] = []  # onnx.TensorProto

    def const(self, name: str, value: np.ndarray) -> str:
        array = np.asarray(value)
        self.constants.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str, **attributes: Any) -> str:
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, [name], name, **attributes))
        return name


def _f32(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


def _is_pixels(pre: Any) -> bool:
    """CIFAR-10's preprocessing: its input is uint8 images `(N, C, H, W)`."""
    return bool(pre.per_channel or pre.whitening is not None)


def _input(onnx: Any, pre: Any) -> Any:
    """The graph's input `x` in the layout and type the dataset's loader gives."""
    if _is_pixels(pre):
        return onnx.helper.make_tensor_value_info(
            "x", onnx.TensorProto.UINT8, ["N", *pre.input_shape]
        )
    return onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", pre.in_features])


def _preprocess(g: _Graph, pre: Any, x: str) -> str:
    """The `Preprocess` of `minigrad.train.data` as ONNX operators: `x` -> `(N, D)` float32."""
    if _is_pixels(pre):
        x = g.op("Cast", [x], "pre/float", to=g.onnx.TensorProto.FLOAT)
    if pre.whitening is not None:
        flat = g.op("Flatten", [x], "pre/flat", axis=1)
        scaled = g.op("Mul", [flat, g.const("pre/scale", _f32(pre.scale))], "pre/scaled")
        centred = g.op("Sub", [scaled, g.const("pre/mean", _f32(pre.mean))], "pre/centred")
        return g.op("MatMul", [centred, g.const("pre/zca", _f32(pre.whitening))], "pre/out")
    if pre.per_channel:
        per_channel = (1, -1) + (1,) * (len(pre.input_shape) - 1)
        mean = g.const("pre/mean", _f32(pre.mean).reshape(per_channel))
        inv_std = g.const("pre/inv_std", (1 / _f32(pre.std)).reshape(per_channel))
        centred = g.op("Sub", [x, mean], "pre/centred")
        return g.op("Flatten", [g.op("Mul", [centred, inv_std], "pre/scaled")], "pre/out", axis=1)
    scaled = g.op("Mul", [x, g.const("pre/scale", _f32(pre.scale))], "pre/scaled")
    centred = g.op("Sub", [scaled, g.const("pre/mean", _f32(pre.mean))], "pre/centred")
    return g.op("Div", [centred, g.const("pre/std", _f32(pre.std))], "pre/out")


def _layers(module: nn.Module, prefix: str = "") -> list[tuple[str, nn.Module]]:
    """The model's layers in order, with their `state_dict` prefixes (nested Sequentials
    unrolled)."""
    if not isinstance(module, nn.Sequential):
        return [(prefix.rstrip("."), module)]
    out = []
    for name, child in module.named_children():
        out += _layers(child, f"{prefix}{name}.")
    return out


def _layer(g: _Graph, name: str, layer: nn.Module, x: str) -> str:
    """One layer as ONNX operators, its weights as constants named as in the `state_dict`."""
    if isinstance(layer, nn.Linear):
        inputs = [x, g.const(f"{name}.weight", _f32(layer.weight.data))]
        if layer.bias is not None:
            inputs.append(g.const(f"{name}.bias", _f32(layer.bias.data)))
        return g.op("Gemm", inputs, f"{name}/out", transB=1)
    if isinstance(layer, nn.BatchNorm1d):
        return _batch_norm(g, name, layer, x)
    if isinstance(layer, nn.LeakyReLU):
        return g.op("LeakyRelu", [x], f"{name}/out", alpha=float(layer.negative_slope))
    if type(layer) in _ACTIVATIONS:
        return g.op(_ACTIVATIONS[type(layer)], [x], f"{name}/out")
    if isinstance(layer, nn.Flatten) and (layer.start_axis, layer.end_axis) == (1, -1):
        return g.op("Flatten", [x], f"{name}/out", axis=1)
    if isinstance(layer, _SKIPPED):
        return x
    raise UnsupportedLayerError(
        f"export_onnx: layer '{name}' is {layer!r}, which has no ONNX form here; supported "
        f"layers: {SUPPORTED} (Flatten with its default axes)"
    )


def _batch_norm(g: _Graph, name: str, layer: nn.BatchNorm1d, x: str) -> str:
    """`BatchNormalization` in inference mode: `(x - running_mean) / sqrt(running_var + eps)
    * weight + bias`."""
    if layer.running_mean is None or layer.running_var is None:
        raise UnsupportedLayerError(
            f"export_onnx: layer '{name}' (BatchNorm1d) keeps no running statistics "
            "(track_running_stats=False), so it has no fixed inference form"
        )
    n = layer.running_mean.shape[0]
    weight = layer.weight.data if layer.weight is not None else np.ones(n)
    bias = layer.bias.data if layer.bias is not None else np.zeros(n)
    inputs = [
        x,
        g.const(f"{name}.weight", _f32(weight)),
        g.const(f"{name}.bias", _f32(bias)),
        g.const(f"{name}.running_mean", _f32(layer.running_mean.data)),
        g.const(f"{name}.running_var", _f32(layer.running_var.data)),
    ]
    return g.op("BatchNormalization", inputs, f"{name}/out", epsilon=float(layer.eps))


def onnx_model(trained: TrainedModel) -> Any:
    """The checked `onnx.ModelProto` of `trained`: input `x` (uint8 `(N, C, H, W)` images for
    CIFAR-10, float32 `(N, D)` otherwise), output `logits` float32 `(N, classes)`.

    Raises `UnsupportedLayerError` naming a layer that has no ONNX form.
    """
    onnx = _onnx()
    g = _Graph(onnx)
    h = _preprocess(g, trained.preprocess, "x")
    for name, layer in _layers(trained.model):
        h = _layer(g, name, layer, h)
    g.nodes.append(onnx.helper.make_node("Identity", [h], ["logits"], "logits"))
    classes = len(trained.class_names)
    graph = onnx.helper.make_graph(
        g.nodes,
        "minigrad_classifier",
        [_input(onnx, trained.preprocess)],
        [onnx.helper.make_tensor_value_info("logits", onnx.TensorProto.FLOAT, ["N", classes])],
        initializer=g.constants,
    )
    model = onnx.helper.make_model(
        graph,
        opset_imports=[onnx.helper.make_opsetid("", OPSET)],
        ir_version=_IR_VERSION,
        producer_name="minigrad",
        producer_version=minigrad.__version__,
        doc_string=f"{trained.config.dataset} classifier trained with minigrad: raw inputs "
        "in, as the dataset's loader gives them, logits out",
    )
    onnx.helper.set_model_props(
        model,
        {
            "class_names": json.dumps(list(trained.class_names)),
            "input_shape": json.dumps(list(trained.preprocess.input_shape)),
        },
    )
    onnx.checker.check_model(model)
    return model


def export_onnx(trained: TrainedModel, path: str | os.PathLike[str]) -> Path:
    """Write `trained` (a `TrainedModel`: `fit`'s result or `load_model`'s) as an ONNX file at
    `path`, atomically, and return its `Path`. The graph holds the input preprocessing and the
    MLP, so raw inputs go in and logits come out (see the module's docstring)."""
    data = onnx_model(trained).SerializeToString()
    path = Path(path)
    # A new file beside the target renamed over it: readers never see half a model.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
