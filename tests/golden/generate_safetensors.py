"""Write the safetensors golden files: an MLP's weights as PyTorch saves them.

Run from the repository root where PyTorch 2.13 and safetensors are installed:

    pip install torch==2.13.0 safetensors
    python tests/golden/generate_safetensors.py

It writes, in `tests/golden/`:

- `torch_mlp.safetensors`: the `state_dict` of `MODEL` (Linear without bias, BatchNorm1d with
  running statistics from a few training steps, ReLU, Linear, Tanh, Linear) exactly as
  `safetensors.torch.save_file` writes it;
- `torch_mlp_io.safetensors`: an input batch `x` and the model's eval-mode output `logits`,
  with the PyTorch version that wrote them in its metadata.

`tests/test_serialization_torch.py` loads the weights with `mg.load` into the same
architecture built with minigrad and compares the logits, with no PyTorch installed. The
output is deterministic: rerunning with the same PyTorch rewrites the same bytes.
"""

from pathlib import Path

import safetensors.torch
import torch

FOLDER = Path(__file__).resolve().parent
IN, HIDDEN, OUT = 6, 8, 3


def model() -> torch.nn.Sequential:
    return torch.nn.Sequential(
        torch.nn.Linear(IN, HIDDEN, bias=False),
        torch.nn.BatchNorm1d(HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN, HIDDEN),
        torch.nn.Tanh(),
        torch.nn.Linear(HIDDEN, OUT),
    )


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    net = model()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(5):  # running statistics and num_batches_tracked away from their defaults
        x = torch.randn(16, IN) * 2 + 0.5
        loss = torch.nn.functional.cross_entropy(net(x), torch.randint(0, OUT, (16,)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    x = torch.randn(7, IN)
    with torch.no_grad():
        logits = net(x)
    # One metadata entry per file: safetensors writes several in a random order.
    weights = FOLDER / "torch_mlp.safetensors"
    safetensors.torch.save_file(net.state_dict(), weights, {"format": "pt"})
    io = {"x": x, "logits": logits}
    safetensors.torch.save_file(
        io, FOLDER / "torch_mlp_io.safetensors", {"torch": torch.__version__}
    )


if __name__ == "__main__":
    main()
