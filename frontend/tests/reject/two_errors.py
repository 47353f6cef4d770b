# entry: main
import torch


def main(x: torch.Tensor) -> torch.Tensor:
    a = undefined_one(x)
    b = x + "text"
    return x
