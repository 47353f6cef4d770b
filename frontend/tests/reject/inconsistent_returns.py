# entry: main
import torch


def pick(x: torch.Tensor, flag: bool):
    if flag:
        return x
    return 1.0


def main(x: torch.Tensor) -> torch.Tensor:
    return pick(x, True)
