# Constructs the cognitive (SonarSource) and cyclomatic (lizard) rules name, one per method.

# expect: name=chains ccn=8 cognitive=5 max_nesting=1 params=4 nloc=9
# ccn 1 + if, &&, && + if, ||, ||, && = 8
# cognitive: if 1, `a && b && c` one sequence 1; if 1, `a || b || (c && d)` two sequences 2
def chains(a, b, c, d)
  if a && b && c
    return 1
  end
  if a || b || (c && d)
    return 2
  end
  0
end

# expect: name=sign ccn=3 cognitive=3 max_nesting=2 params=1 nloc=3
# ccn 1 + ?, ? = 3; cognitive: ternary 1, the ternary in its alternative 1 + 1 = 3
def sign(x)
  x < 0 ? :neg : (x.zero? ? :zero : :pos)
end

# expect: name=grade ccn=3 cognitive=5 max_nesting=1 params=1 nloc=14
# ccn 1 + if, elsif = 3 (lizard's Ruby conditions have no `unless`: it is not counted)
# cognitive: if 1, elsif 1, else 1, unless 1, the unless's else 1 = 5
def grade(score)
  if score > 90
    :a
  elsif score > 80
    :b
  else
    :c
  end
  unless score.positive?
    :none
  else
    :some
  end
end

# expect: name=fib ccn=2 cognitive=3 max_nesting=1 params=1 nloc=4
# ccn 1 + if = 2; cognitive: if 1, recursive calls (bare and through self) 1 + 1 = 3
def fib(n)
  return n if n < 2
  fib(n - 1) + self.fib(n - 2)
end
