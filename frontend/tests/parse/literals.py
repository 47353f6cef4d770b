ints = [0, 1_000, 0x_ff, 0o17, 0b101, 9223372036854775807]
floats = (1e-5, 1., .5, 1_000.0, 2.5E+3)
strs = ['a', "b", '''c
d''', """e""", r'\n', 'tab\t', 'x' "y" 'z', u'u']
consts = True, False, None, ...
empty = ([], (), {})
f = f"{x}" 'tail'
