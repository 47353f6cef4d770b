# entry: main
import torch


def affine(x: torch.Tensor, w: float) -> torch.Tensor:
    return x * w


def main(x: torch.Tensor) -> torch.Tensor:
    return affine(x, 2.0, 1.0)
