// expect: name=total ccn=5 cognitive=5 max_nesting=2 params=2 nloc=10
// ccn 1 + for, if, ??, ternary ? = 5 (the optional parameter's ? does not count);
// cognitive: for 1, if 1+1, ternary 1+1 = 5
function total(items: number[], limit?: number): number {
  let sum = 0;
  for (const item of items) {
    if (item > (limit ?? 10)) {
      continue;
    }
    sum += item > 0 ? item : 0;
  }
  return sum;
}
