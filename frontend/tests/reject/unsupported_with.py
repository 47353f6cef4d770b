# entry: main
import torch


def main(x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        y = x * 2.0
    return y
