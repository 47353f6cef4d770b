# entry: main
import torch


def main(x: torch.Tensor) -> torch.Tensor:
    yield x
