# entry: main
import torch


def total(*xs: torch.Tensor) -> torch.Tensor:
    return xs[0]


def main(x: torch.Tensor) -> torch.Tensor:
    return total(x, x)
