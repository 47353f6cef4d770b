# entry: main
import torch
from typing import Tuple


def stats(x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    return x.mean(), x.std()


def main(x: torch.Tensor) -> torch.Tensor:
    m, s, n = stats(x)
    return (x - m) / s
