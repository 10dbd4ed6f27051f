// Constructs the cognitive (SonarSource) and cyclomatic (lizard) rules name, one per function.

// expect: name=chains ccn=8 cognitive=5 max_nesting=1 params=4 nloc=9
// ccn 1 + if, &&, && + if, ||, ||, && = 8
// cognitive: if 1, `a && b && c` one sequence 1; if 1, `a || b || (c && d)` two sequences 2
function chains(a: boolean, b: boolean, c: boolean, d: boolean): number {
  if (a && b && c) {
    return 1;
  }
  if (a || b || (c && d)) {
    return 2;
  }
  return 0;
}

// expect: name=pick ccn=4 cognitive=3 max_nesting=2 params=2 nloc=7
// ccn 1 + if, ?, ?? = 4 (optional parameters `?:` and optional chaining `?.` are not decisions)
// cognitive: if 1, the ternary inside it 1 + 1 = 3 (?? adds nothing)
function pick(items?: string[], limit?: number): number {
  const first = items?.[0];
  if (first) {
    return limit ? first.length : 0;
  }
  return items?.length ?? 0;
}

// expect: name=fib ccn=2 cognitive=3 max_nesting=1 params=1 nloc=6
// ccn 1 + if = 2; cognitive: if 1, two recursive calls 1 + 1 = 3
function fib(n: number): number {
  if (n < 2) {
    return n;
  }
  return fib(n - 1) + fib(n - 2);
}
