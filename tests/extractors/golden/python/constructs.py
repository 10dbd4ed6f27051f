# ruff: noqa
# fmt: off
# Constructs the cognitive (SonarSource) and cyclomatic (lizard) rules name, one per function.

# expect: name=chains ccn=8 cognitive=5 max_nesting=1 params=4 nloc=6
# ccn 1 + if, and, and + if, or, or, and = 8
# cognitive: if 1, `a and b and c` one sequence 1; if 1, `a or b or c and d` two sequences
# (the or-run and the and) 2 = 5
def chains(a, b, c, d):
    if a and b and c:
        return 1
    if a or b or c and d:
        return 2
    return 0


# expect: name=grade ccn=4 cognitive=4 max_nesting=1 params=1 nloc=9
# ccn 1 + if, elif, elif (else does not count) = 4
# cognitive: if 1, elif 1, elif 1, else 1 (all flat: no nesting increment) = 4
def grade(score):
    if score > 90:
        return "a"
    elif score > 80:
        return "b"
    elif score > 70:
        return "c"
    else:
        return "d"


# expect: name=sign ccn=3 cognitive=3 max_nesting=2 params=1 nloc=2
# ccn 1 + two conditional expressions = 3
# cognitive: outer ternary 1, the ternary nested in it 1 + 1 (nesting) = 3
def sign(x):
    return "neg" if x < 0 else ("zero" if x == 0 else "pos")


# expect: name=find ccn=4 cognitive=5 max_nesting=2 params=2 nloc=8
# ccn 1 + for, if, while = 4 (break and continue are not decisions)
# cognitive: for 1, if 1 + 1, while 1 + 1; unlabelled break/continue add nothing = 5
def find(items, target):
    for item in items:
        if item == target:
            break
        while item:
            item -= 1
            continue
    return target


# expect: name=load ccn=5 cognitive=4 max_nesting=2 params=1 nloc=12
# ccn 1 + except, except, if, finally (lizard's Python rule counts finally; try does not) = 5
# cognitive: except 1, except 1, if inside an except 1 + 1 = 4 (try and finally add nothing)
def load(path):
    try:
        data = open(path).read()
    except OSError:
        return None
    except ValueError as error:
        if error.args:
            raise
        return ""
    finally:
        pass
    return data


# expect: name=route ccn=5 cognitive=3 max_nesting=2 params=1 nloc=10
# ccn 1 + case, case, case (match arms, the wildcard too), if = 5
# cognitive: match 1, if inside the match 1 + 1 = 3 (cases add nothing)
def route(command):
    match command:
        case "go":
            return 1
        case "stop" | "halt":
            return 2
        case _:
            if command:
                return 3
            return 4
