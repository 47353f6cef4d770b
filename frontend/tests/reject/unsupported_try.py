# entry: main
import torch


def main(x: torch.Tensor) -> torch.Tensor:
    try:
        y = x.inverse()
    except RuntimeError:
        y = x
    return y
