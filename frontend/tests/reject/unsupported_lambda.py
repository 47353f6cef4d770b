# entry: main
import torch


def main(x: torch.Tensor) -> torch.Tensor:
    f = lambda t: t * 2.0
    return f(x)
