"""Train an MLP classifier end to end: the engine behind `minigrad train` and `evaluate`.

    from minigrad.train import TrainConfig, fit, load_model

    result = fit(TrainConfig(dataset="digits", epochs=10))  # into runs/digits-<date>-<time>
    print(result.metrics["test_accuracy"])
    logits, classes = result.predict(x_raw)      # raw inputs, preprocessing as in training
    trained = load_model(result.run_dir)         # later: the same model, rebuilt

A run folder holds `config.json` (every setting, defaults resolved: `minigrad train --config`
reruns it), `metrics.json` (per-epoch history, final accuracies, per-class accuracy and the
confusion matrix), `history.csv`, `checkpoint.npz` (after every epoch: resume from it) and,
with matplotlib, `curves.png`, `confusion.png` and `weights.png`.

Modules, in the order a run uses them: `config` (the settings and their checks),
`defaults` (what depends on the dataset or optimizer), `options` (the settings as
command-line options), `resume` (what a resumed run continues with), `data` (datasets,
splits, preprocessing), `builders` (model, optimizer), `schedule` (the learning rate as a
function of the run's progress), `planning` (epochs from a time limit, re-planned as the
run goes), `loop` (one epoch, scoring), `rundir` and `checkpoint` (files), `report` and
`figures` (what people read), `model` (a trained model, `load_model`), `evaluate`
(`minigrad evaluate`), `run` (`fit`).
"""

from minigrad.train.config import LOCAL_SETTINGS, TTA, ConfigError, TrainConfig
from minigrad.train.defaults import DATASET_DEFAULTS, DEFAULT_LR
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
from minigrad.train.options import add_config_options, config_from_options
from minigrad.train.run import fit
from minigrad.train.rundir import RunExistsError

__all__ = [
    "DATASET_DEFAULTS",
    "DEFAULT_LR",
    "LOCAL_SETTINGS",
    "TTA",
    "ConfigError",
    "DivergedError",
    "RunExistsError",
    "TrainConfig",
    "TrainedModel",
    "add_config_options",
    "config_from_options",
    "confusion_figure",
    "curves_figure",
    "evaluate_run",
    "export_onnx",
    "first_layer_figure",
    "fit",
    "load_model",
    "templates_figure",
]
