# entry: main
import torch


def main(x: torch.Tensor, flag: bool) -> torch.Tensor:
    if flag:
        y = x * 2.0
    else:
        y = 3
    return y
