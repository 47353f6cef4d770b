y = f(a[1)
