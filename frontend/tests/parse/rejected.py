try:
    x = 1
except ValueError as e:
    pass
except (A, B):
    pass
except:
    pass
else:
    y = 2
finally:
    z = 3
try:
    pass
finally:
    pass
with open(p) as fh, lock:
    pass
f = lambda x, y=2, *a, **k: x + y
g = lambda: 0
def gen():
    yield
    yield 1
    x = yield 2
    yield from it
def scope():
    global a, b
    nonlocal c
d = {'a': 1, **m}
s = {1, 2}
lc = [x * y for x in xs if x if y > 0 for y in ys]
dc = {k: v for k, v in items}
sc = {x for x in xs}
ge = sum(x for x in xs)
ge2 = (x for x in xs)
call(a, *b, c=1, **d)
