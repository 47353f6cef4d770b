# entry: main
import torch


def main(x: torch.Tensor) -> torch.Tensor:
    total = 0
    total = x.sum()
    return x + total
