def f(x)
    return x

y = (1 +)
z = 3
