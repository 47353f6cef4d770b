"""Writes the example models' weights, inputs and PyTorch outputs to
examples/data/ as safetensors (run with any Python that has torch and
safetensors; output is deterministic)."""
import importlib.util
import pathlib

import torch
from safetensors.torch import save_file

HERE = pathlib.Path(__file__).resolve().parent


def load(name):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    torch.manual_seed(0)
    mlp = load("mlp").MLP(16, 32, 4).eval()
    x = torch.randn(3, 16)
    with torch.no_grad():
        y = mlp(x)
    save_file({k: v.contiguous() for k, v in mlp.state_dict().items()}, str(HERE / "data/mlp.weights.safetensors"))
    save_file({"x": x}, str(HERE / "data/mlp.inputs.safetensors"))
    save_file({"output": y}, str(HERE / "data/mlp.expected.safetensors"))
    print("mlp:", y.shape)


if __name__ == "__main__":
    main()
