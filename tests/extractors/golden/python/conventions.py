# ruff: noqa
# fmt: off
# Cognitive complexity conventions beyond the white paper's core, as bmad applies them to Python:
# recursion, a loop's else, nested functions and lambdas, and decorators.
import functools


# expect: name=factorial ccn=2 cognitive=2 max_nesting=1 params=1 nloc=4
# ccn 1 + if = 2; cognitive: if 1, the recursive call 1 = 2
def factorial(n):
    if n <= 1:
        return 1
    return n * factorial(n - 1)


class Tree:
    # expect: name=depth ccn=2 cognitive=3 max_nesting=1 params=2 nloc=4
    # ccn 1 + if = 2; cognitive: if 1, two recursive calls through self 1 + 1 = 3
    def depth(self, node):
        if node is None:
            return 0
        return 1 + max(self.depth(node.left), self.depth(node.right))


# expect: name=search ccn=4 cognitive=6 max_nesting=2 params=2 nloc=11
# ccn 1 + for, if, while = 4 (the loops' else do not count)
# cognitive: for 1, if 1 + 1, the for's else 1, while 1, the while's else 1 = 6
def search(items, target):
    for item in items:
        if item == target:
            break
    else:
        return None
    while target:
        target -= 1
    else:
        pass
    return target


# expect: name=outer_sum ccn=2 cognitive=6 max_nesting=1 params=1 nloc=10
# ccn 1 + for = 2 (add's for and if are add's own)
# cognitive: its for 1; add's for and if one level deeper than in add: 1 + 1, 1 + 2 = 6
# expect: name=add ccn=3 cognitive=3 max_nesting=2 params=1 nloc=5
# add on its own: for 1, if 1 + 1 = 3
def outer_sum(rows):
    total = 0
    def add(row):
        for value in row:
            if value:
                total_row = value
        return row
    for row in rows:
        add(row)
    return total


# expect: name=pick ccn=1 cognitive=2 max_nesting=0 params=1 nloc=3
# cognitive: the lambda's ternary one level deeper, 1 + 1 = 2
# expect: name=(anonymous) ccn=2 cognitive=1 max_nesting=1 params=2 nloc=1
# the lambda on its own: ternary 1
def pick(flag):
    choose = lambda a, b: a if flag else b
    return choose(1, 2)


# A decorator (a function whose body only defines a function and returns it, after an
# optional docstring) adds no nesting to the function it returns.
# expect: name=retry ccn=1 cognitive=3 max_nesting=0 params=1 nloc=10
# retry only defines decorate and returns it: decorate's 3 at no extra level = 3
# expect: name=decorate ccn=1 cognitive=3 max_nesting=0 params=1 nloc=8
# decorate only defines wrapper (decorated) and returns it: wrapper's 3 at no extra level
# expect: name=wrapper ccn=3 cognitive=3 max_nesting=2 params=1 nloc=5
# wrapper: for 1, if 1 + 1 = 3
def retry(times):
    """Retries the call."""
    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args):
            for _ in range(times):
                if function(*args):
                    return True
            return False
        return wrapper
    return decorate


# expect: name=not_a_decorator ccn=1 cognitive=2 max_nesting=0 params=1 nloc=7
# a statement besides the definition and the return: inner nests, its if counts 1 + 1 = 2
def not_a_decorator(times):
    count = times
    def inner():
        if count:
            return 1
        return 0
    return inner
