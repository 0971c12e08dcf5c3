"""Train an MLP classifier end to end: the engine behind `minigrad train` and `evaluate`.

    from minigrad.train import TrainConfig, fit, load_model

    result = fit(TrainConfig(dataset="digits", epochs=10), "runs/digits")
    print(result.metrics["test_accuracy"])
    logits, classes = result.predict(x_raw)      # raw inputs, preprocessing as in training
    trained = load_model("runs/digits")          # later: the same model, rebuilt

A run folder holds `config.json` (every setting, defaults resolved: `minigrad train --config`
reruns it), `metrics.json` (per-epoch history, final accuracies, per-class accuracy and the
confusion matrix), `history.csv`, `checkpoint.npz` (after every epoch: resume from it) and,
with matplotlib, `curves.png`, `confusion.png` and `weights.png`.

Modules, in the order a run uses them: `config` (settings, defaults, checks), `data`
(datasets, splits, preprocessing), `builders` (model, optimizer, schedule), `planning`
(epochs from a time limit, re-planned as the run goes), `schedule` (the learning-rate
schedule recorded and played back, so a re-plan can reshape its tail), `loop`
(one epoch, scoring), `rundir` and `checkpoint` (files), `report` and `figures` (what people
read), `model` (a trained model, `load_model`), `evaluate` (`minigrad evaluate`), `run`
(`fit`).
"""

from minigrad.train.config import DATASET_DEFAULTS, ConfigError, TrainConfig
from minigrad.train.evaluate import evaluate_run
from minigrad.train.figures import (
    confusion_figure,
    curves_figure,
    first_layer_figure,
    templates_figure,
)
from minigrad.train.loop import DivergedError
from minigrad.train.model import TrainedModel, load_model
from minigrad.train.onnx_export import export_onnx
from minigrad.train.run import fit
from minigrad.train.rundir import RunExistsError

__all__ = [
    "DATASET_DEFAULTS",
    "ConfigError",
    "DivergedError",
    "RunExistsError",
    "TrainConfig",
    "TrainedModel",
    "confusion_figure",
    "curves_figure",
    "evaluate_run",
    "export_onnx",
    "first_layer_figure",
    "fit",
    "load_model",
    "templates_figure",
]
