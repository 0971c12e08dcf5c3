#!/usr/bin/env bash
# Build the sdist and the wheel, check them, install the wheel into a fresh virtual environment
# outside the checkout and run what users run from the installed package: the version, a short
# training run and its evaluation, the README's "Autodiff in ten lines", the backward-pass
# explorer, a .safetensors round trip and a short sweep. Run from an environment with the dev
# extra (build, twine); pip's cache makes the second run fast.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
start=$SECONDS

python -m build --outdir "$work/dist" "$root" >"$work/build.log" 2>&1 || {
    cat "$work/build.log"
    exit 1
}
twine check --strict "$work"/dist/*

# What each file must hold: package data and py.typed in the wheel, the tests in the sdist.
python - "$work/dist" <<'PY'
import sys, tarfile, zipfile
from pathlib import Path

dist = Path(sys.argv[1])
(wheel,) = dist.glob("*.whl")
(sdist,) = dist.glob("*.tar.gz")
in_wheel = set(zipfile.ZipFile(wheel).namelist())
with tarfile.open(sdist) as tar:
    in_sdist = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
need = {
    wheel: (in_wheel, ["minigrad/py.typed", "minigrad/data/_bundled/digits.csv.gz",
                       "minigrad/viz/explorer.html", "minigrad/viz/explorer.js",
                       "minigrad/viz/explorer.css", "minigrad/train/onnx_export.py"]),
    sdist: (in_sdist, ["tests/conftest.py", "tests/test_serialization.py",
                       "tests/golden/torch_mlp.safetensors", "tests/golden/ops.npz",
                       "minigrad/py.typed", "CHANGELOG.md", "CONTRIBUTING.md", "LICENSE"]),
}
for archive, (names, wanted) in need.items():
    missing = [n for n in wanted if n not in names]
    if missing:
        sys.exit(f"check_wheel: {archive.name} lacks {missing}")
if any(n.startswith(("tests/", "docs/")) for n in in_wheel):
    sys.exit(f"check_wheel: {wheel.name} holds tests or docs")
print(f"check_wheel: {wheel.name} ({len(in_wheel)} files), {sdist.name} ({len(in_sdist)} files)")
PY

# A fresh environment with only the extras these commands need; nothing of the checkout on
# the path (-I ignores PYTHONPATH and the current folder; every command runs in $work).
python -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install -q --disable-pip-version-check "$(ls "$work"/dist/*.whl)[train,sweep,viz,safetensors]"
cd "$work"
unset PYTHONPATH
export MPLBACKEND=Agg MINIGRAD_DATA="$work/data"
bin="$work/venv/bin"

"$py" -I -c "
import importlib.metadata, pathlib, minigrad
where = pathlib.Path(minigrad.__file__).resolve()
assert pathlib.Path('$work/venv') in where.parents, f'minigrad imported from {where}'
assert minigrad.__version__ == importlib.metadata.version('minigrad'), minigrad.__version__
assert (where.parent / 'py.typed').is_file()
"
version="$("$bin/minigrad" --version)"
[ "$version" = "minigrad $("$py" -I -c 'import minigrad; print(minigrad.__version__)')" ]
echo "check_wheel: $version from $work/venv"

"$bin/minigrad" train --dataset digits --epochs 2 --hidden 32 --out run >train.log
"$bin/minigrad" evaluate run >evaluate.log
grep -q "accuracy" evaluate.log

# The README's first example, as README.md shows it.
"$py" - "$root/README.md" >readme.py <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text.split("## Autodiff in ten lines", 1)[1]
print(re.search(r"```python\n(.*?)```", section, re.S).group(1))
PY
"$py" -I readme.py

"$py" -I -c "
import numpy as np, minigrad as mg
x = mg.tensor(np.ones((2, 3)), requires_grad=True)
page = mg.viz.explore((x * 2).tanh().sum()).save('explorer.html')
text = open('explorer.html').read()
assert '<script' in text and 'src=' not in text.split('<script', 1)[1][:40], 'not self-contained'
mg.save({'w': np.arange(6.0).reshape(2, 3)}, 'w.safetensors')
assert mg.load('w.safetensors')['w'].shape == (2, 3)
"

"$bin/minigrad" sweep --dataset digits --epochs 1 --hidden 16 --trials 2 --workers 1 \
    --sampler-seed 0 --param 'lr = {low = 1e-3, high = 1e-1, log = true}' --out sweep >sweep.log
[ -f sweep/best_config.json ]

# Some of the sdist's tests, run against the installed wheel (the sdist's own copy of the
# package is removed first, so only the wheel can be imported).
mkdir sdist
tar -xzf "$(ls "$work"/dist/*.tar.gz)" -C sdist --strip-components=1
rm -r sdist/minigrad
"$py" -m pip install -q --disable-pip-version-check pytest
(cd sdist && "$bin/pytest" -p no:cacheprovider tests/test_serialization.py \
    tests/test_serialization_safetensors.py tests/test_nn_module.py)

echo "check_wheel: built, checked, installed and ran from the wheel in $((SECONDS - start)) s"
