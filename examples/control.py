"""Control flow that a trace cannot keep: a refinement loop that stops when
the update grows too large (`while` with a data-dependent `break`), an early
`return` inside a loop, and a list built by `append`.

Script mode compiles all of it into `loop`/`if` nodes; `tsc compile
--trace` warns that the result depends on tensor data (an error with
`--strict`)."""
import torch
import torch.nn as nn
from typing import List, Tuple


def first_above(v: torch.Tensor, threshold: float) -> int:
    for i in range(v.size(0)):
        if float(v[i]) > threshold:
            return i
    return -1


class Refiner(nn.Module):
    def __init__(self, d: int, max_steps: int):
        super().__init__()
        self.step = nn.Linear(d, d)
        self.max_steps = max_steps

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = x
        norms: List[torch.Tensor] = []
        i = 0
        while i < self.max_steps:
            update = torch.tanh(self.step(h))
            h = h + 0.5 * update
            norms.append(update.norm())
            if update.abs().max() > 0.9:
                break
            i += 1
        k = first_above(h[0], 1.0)
        return h, torch.stack(norms), torch.full([1], float(k))
