"""Writes the example models' weights, inputs and PyTorch outputs to
examples/data/ as safetensors (run with any Python that has torch and
safetensors; output is deterministic).

For each example <name>, data/ gets <name>.weights.safetensors (the
state_dict), <name>.inputs.safetensors (one tensor per forward parameter,
named after it), <name>.expected.safetensors (`output`, or `output.0`,
`output.1`, ... for a tuple) and <name>.entry (the --entry expression)."""
import importlib.util
import inspect
import pathlib
import warnings

import torch
from safetensors.torch import save_file

HERE = pathlib.Path(__file__).resolve().parent

# (file name, entry expression, input shapes in forward's parameter order)
EXAMPLES = [
    ("mlp", "MLP(16, 32, 4)", [(3, 16)]),
    ("lenet", "LeNet(10)", [(2, 1, 28, 28)]),
    ("lstm", "HandLSTM(8, 16)", [(5, 2, 8)]),  # [T, B, input_size]
    ("gpt2_block", "Block(32, 4)", [(2, 8, 32)]),  # [B, T, d_model]
    ("control", "Refiner(6, 8)", [(3, 6)]),
]


def load(name):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def outputs(y):
    if isinstance(y, torch.Tensor):
        return {"output": y}
    return {f"output.{i}": t for i, t in enumerate(y)}


def make(name, entry, shapes):
    torch.manual_seed(0)
    model = eval(entry, vars(load(name))).eval()
    params = list(inspect.signature(model.forward).parameters)
    assert len(params) == len(shapes), (name, params)
    inputs = {p: torch.randn(*s) for p, s in zip(params, shapes)}
    with torch.no_grad():
        y = outputs(model(**inputs))
        scripted = outputs(torch.jit.script(model)(**inputs))
    assert y.keys() == scripted.keys(), name
    for k in y:
        assert torch.equal(y[k], scripted[k]), f"{name}: torch.jit.script differs on {k}"
    data = HERE / "data"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(data / f"{name}.weights.safetensors"))
    save_file(inputs, str(data / f"{name}.inputs.safetensors"))
    save_file({k: v.contiguous() for k, v in y.items()}, str(data / f"{name}.expected.safetensors"))
    (data / f"{name}.entry").write_text(entry + "\n")
    print(f"{name}: {entry}", ", ".join(f"{k} {tuple(v.shape)}" for k, v in y.items()))


def main():
    warnings.filterwarnings("ignore", category=FutureWarning, module="torch.jit")
    for example in EXAMPLES:
        make(*example)


if __name__ == "__main__":
    main()
