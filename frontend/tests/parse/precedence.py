a = -x ** 2
b = 2 ** -1
c = a ** b ** c
d = not a == b
e = a | b ^ c & d << 1 + 2 * 3
f = a + b - c
g = a @ b // c % d / e
h = ~a + +b
i = 0 <= k < 3
j = a is not None and b not in c or not d
k = a if b else c if d else e
l = (a + b) * c
m = x.y.z(1)[2]
n = -1
