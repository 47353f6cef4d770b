# entry: main
import torch


def repeat(x, times):
    out = x
    for _ in range(times):
        out = out + x
    return out


def main(x: torch.Tensor) -> torch.Tensor:
    return repeat(x, x.sum())
