"""Regenerates tests/reference/data/ from PyTorch.

    python tests/reference/gen.py [module ...]

Needs torch, numpy and safetensors. Output is deterministic for a given
PyTorch version (recorded in each JSON file).
"""
import importlib.util
import json
import pathlib
import sys

import torch
from safetensors.torch import save_file

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import Writer, run_case  # noqa: E402


def main(names):
    torch.set_num_threads(1)
    mods = sorted((HERE / "cases").glob("*.py"))
    if names:
        mods = [m for m in mods if m.stem in names]
    for path in mods:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        w = Writer()
        records = [run_case(c, w) for c in mod.CASES]
        seen = set()
        for r in records:
            assert r["name"] not in seen, f"duplicate case name {r['name']}"
            seen.add(r["name"])
        out = {"torch_version": torch.__version__, "module": path.stem, "cases": records}
        (HERE / "data" / f"{path.stem}.json").write_text(json.dumps(out, indent=1) + "\n")
        save_file({k: v.contiguous() for k, v in w.tensors.items()}, str(HERE / "data" / f"{path.stem}.safetensors"))
        print(f"{path.stem}: {len(records)} cases, {len(w.tensors)} tensors")


if __name__ == "__main__":
    main(sys.argv[1:])
