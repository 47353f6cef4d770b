# entry: main
import torch
from typing import List


def main(x: torch.Tensor) -> torch.Tensor:
    sizes: List[int] = [1, 2]
    sizes.append(2.5)
    return x
