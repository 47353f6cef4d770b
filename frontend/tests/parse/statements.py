import torch
import torch.nn as nn
import torch.nn.functional as F
import math, os.path
from typing import List, Tuple, Optional, Dict
from torch import Tensor
from a import (b as c, d,)
from m import *
a = b = c
x: int = 0
y: List[int] = []
z: float
x += 1
x **= 2
self.w[0] //= 3
a, b = b, a
[p, q] = r
a, *rest = xs
if a:
    pass
elif b:
    x = 1
elif c:
    x = 2
else:
    x = 3
for i, (j, k) in enumerate(pairs):
    if i:
        continue
    break
else:
    pass
while n > 0:
    n -= 1
return_value = None
assert x, "message"
assert y
raise
raise ValueError("bad")
raise E from e
del a, b[0]
x = 1; y = 2;
if x: y = 1
