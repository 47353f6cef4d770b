# entry: Stack(3)
import torch
import torch.nn as nn


class Stack(nn.Module):
    def __init__(self, n: int):
        super().__init__()
        self.n = n
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(n)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(self.n):
            x = self.layers[i](x)
        return x
