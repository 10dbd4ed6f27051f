"""Editor buffers shared by the analysis, daemon and language-server tests: one module with
an obviously anomalous function, and the same module with it tamed."""

MONSTER = """def ordinary(a):
    return a + 1


def monster(a, b, c, d, e, f, g, h):
    total = 0
    for i in range(a):
        if i % 2 and b or c and d:
            for j in range(b):
                if j > c:
                    while d:
                        if e and f or g and h:
                            total += 1
                        else:
                            d -= 1
                elif j < e:
                    total -= 1
    return total
"""

TAMED = """def ordinary(a):
    return a + 1


def monster(a):
    return a * 2
"""
