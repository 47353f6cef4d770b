"""A small MLP in the TorchScript subset: Linear -> GELU -> Linear -> GELU -> Linear.

`python examples/make_data.py` writes its weights, an input and PyTorch's
output to examples/data/.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self, d_in: int, d_hidden: int, d_out: int):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_hidden)
        self.fc2 = nn.Linear(d_hidden, d_hidden)
        self.fc3 = nn.Linear(d_hidden, d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.gelu(self.fc1(x))
        x = F.gelu(self.fc2(x))
        return F.log_softmax(self.fc3(x), dim=-1)
