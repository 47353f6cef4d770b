# entry: main
import torch


def scale(x: torch.Tensor, k: int) -> torch.Tensor:
    return x * k


def main(x: torch.Tensor) -> torch.Tensor:
    return scale(x, 0.5)
