"""A single-layer LSTM written by hand: a Python loop over the time steps of a
[T, B, input_size] sequence, returning every hidden state and the final cell state."""
import torch
import torch.nn as nn
from typing import List, Tuple


class HandLSTM(nn.Module):
    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.hidden_size = hidden_size
        self.ih = nn.Linear(input_size, 4 * hidden_size)
        self.hh = nn.Linear(hidden_size, 4 * hidden_size)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        h = torch.zeros(x.size(1), self.hidden_size, dtype=x.dtype, device=x.device)
        c = torch.zeros(x.size(1), self.hidden_size, dtype=x.dtype, device=x.device)
        hs: List[torch.Tensor] = []
        for t in range(x.size(0)):
            gates = self.ih(x[t]) + self.hh(h)
            i, f, g, o = gates.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            hs.append(h)
        return torch.stack(hs), c
