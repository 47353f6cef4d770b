# entry: main
import torch


def main(x: torch.Tensor, n: int) -> torch.Tensor:
    while n > 0:
        return x
