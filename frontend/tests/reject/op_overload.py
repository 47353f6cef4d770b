# entry: main
import torch


def main(x: torch.Tensor) -> torch.Tensor:
    return torch.cat(x, "rows")
