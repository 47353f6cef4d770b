# entry: main
import torch


def affine(x: torch.Tensor, w: float, b: float) -> torch.Tensor:
    return x * w + b


def main(x: torch.Tensor) -> torch.Tensor:
    return affine(x, 2.0)
