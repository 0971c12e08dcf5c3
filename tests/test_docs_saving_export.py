"""The "Saving and using a model elsewhere" page runs as written: its commands and Python
blocks in order, in one folder, with each shown output checked. The block that needs
PyTorch runs where torch is installed (the golden-file tests cover that direction in CI)."""

import importlib.util
import re
import shlex
from pathlib import Path

import pytest
from train_helpers import no_network  # noqa: F401

from minigrad.cli import main

PAGE = Path(__file__).resolve().parent.parent / "docs" / "saving-and-export.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)

pytest.importorskip("safetensors")
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


def _run(kind, code, namespace):
    if kind == "bash":
        for line in code.splitlines():
            if line.startswith("minigrad "):
                assert main(shlex.split(line)[1:]) == 0, line
    elif kind == "python" and ("import torch" not in code or importlib.util.find_spec("torch")):
        exec(compile(code, PAGE.name, "exec"), namespace)


def test_page_runs_as_written_and_shows_what_it_prints(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = BLOCK.findall(PAGE.read_text())
    assert [k for k, _ in blocks].count("python") >= 4
    namespace = {"__name__": "docs"}
    for (kind, code), following in zip(blocks, [*blocks[1:], ("", "")]):
        capsys.readouterr()
        _run(kind, code, namespace)
        shown_kind, shown = following
        if shown_kind == "" and shown:  # an output block: what the block above prints last
            expected = shown.strip().splitlines()
            printed = capsys.readouterr().out.strip().splitlines()
            assert printed[-len(expected) :] == expected
    assert (tmp_path / "runs" / "digits" / "model.onnx").is_file()
    assert (tmp_path / "digits.onnx").is_file()
    assert namespace["logits"].shape == (1797, 10)
