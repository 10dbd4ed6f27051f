# ruff: noqa
# fmt: off
# expect: name=classify ccn=8 cognitive=11 max_nesting=3 params=2 nloc=14
# ccn 1 + if, or, elif, for, if, and, except; cognitive if 1, or 1, elif 1, for 1+1,
# inner if 1+2, and 1, else 1, except 1
def classify(value, limit):
    """Docstring lines are comments, not code."""
    if value is None or value < 0:
        return "bad"
    elif value > limit:
        for item in range(value):
            if item and limit:
                return "loop"
    else:
        pass
    try:
        pass
    except ValueError:
        pass
    return "ok"


# expect: name=outer ccn=5 cognitive=7 max_nesting=2 params=1 nloc=7
# ccn 1 + while, ternary if, comprehension for, comprehension if (inner's and/or and the
# lambda's if belong to them); cognitive while 1, ternary 1+1 (nested in while);
# comprehensions add nothing; the nested functions count here one level deeper: inner's
# and/or 2 (flat), the lambda's ternary 1+1 = 7
def outer(items):
    while items:
        size = 1 if items else 0
        items = [x for x in items if x]

    def inner(a, b, c):
        return a and b or c

    return lambda q: q if q else None


# expect: name=inner ccn=3 cognitive=2 max_nesting=0 params=3 nloc=2
# ccn 1 + and, or; cognitive: two different operators, two sequences
# expect: name=(anonymous) ccn=2 cognitive=1 max_nesting=1 params=1 nloc=1
# the lambda: ccn 1 + if; cognitive ternary 1 at nesting 0, which it raises to 1


# expect: name=dispatch ccn=4 cognitive=1 max_nesting=1 params=1 nloc=8
# ccn 1 + case, case, case; cognitive match 1
def dispatch(command):
    match command:
        case "a":
            return 1
        case "b":
            return 2
        case _:
            return 3
