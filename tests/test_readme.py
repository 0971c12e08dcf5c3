"""The README's Python examples run as written, its commands are the ones CI and the
package define, and it warns about the default run's download and duration first."""

import pathlib
import re

from train_helpers import no_network  # noqa: F401

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_readme_autodiff_example_runs(capsys):
    blocks = _python_blocks()
    assert blocks, "README.md lost its autodiff example"
    exec(compile(blocks[0], "README.md", "exec"), {})
    assert capsys.readouterr().out.strip()


def test_readme_training_example_trains_reloads_and_predicts(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (block,) = [b for b in _python_blocks() if "minigrad.train" in b]
    assert len(block.strip().splitlines()) <= 20
    for _ in range(2):  # a newcomer runs it again: it must work again
        namespace = {}
        exec(compile(block, "README.md", "exec"), namespace)
        result, classes = namespace["result"], namespace["classes"]
        assert result.metrics["test_accuracy"] > 0.9 and result.metrics["stopped_early"]
        assert (namespace["y"][:10] == classes).mean() >= 0.8
        assert (result.run_dir / "checkpoint.npz").is_file()
        assert "total:" in capsys.readouterr().out
    assert len(list((tmp_path / "runs").iterdir())) == 2


def test_readme_test_command_is_the_one_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest" in README and "python -m pytest" in ci


def test_readme_first_command_installs_what_minigrad_train_uses():
    first = re.search(r"```bash\n(.*?)```", README, flags=re.S).group(1)
    assert 'pip install -e ".[train]"' in first and first.strip().endswith("minigrad train")
    before = README[: README.index(first)]
    assert "170 MB" in before and "14 minutes" in before and "--dataset digits" in before


def test_readme_says_which_tests_skip_without_torch_and_how_to_run_them():
    testing = README.split("Install and run the tests")[1].split("\n## ")[0]
    golden = (ROOT / "tests" / "test_golden.py").read_text()
    version = re.search(r'meta\["torch"\]\.startswith\("(\d+\.\d+)\.', golden).group(1)
    assert "skipped" in testing and "compare minigrad with PyTorch" in testing
    cpu_wheel = "--index-url https://download.pytorch.org/whl/cpu"
    assert f"pip install torch=={version}.0 {cpu_wheel}" in testing
    assert "python -m pytest -rs" in testing
