class Net(nn.Module):
    """Docstring."""

    def __init__(self, n: int, m: int = 4, *, scale: float = 1.0) -> None:
        super().__init__()
        self.layers = nn.Sequential(*layers)

    @torch.jit.export
    def forward(self, x: Tensor, h: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        return x, x

    @staticmethod
    def helper(*args, **kwargs):
        return

def f(a, b=1, /, c=2, *d, e, f=3, **g):
    pass

@dec
@dec2(1)
class Empty: pass
