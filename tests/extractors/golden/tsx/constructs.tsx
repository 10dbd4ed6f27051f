// Constructs the cognitive (SonarSource) and cyclomatic (lizard) rules name, one per function.

// expect: name=Badge ccn=5 cognitive=4 max_nesting=1 params=1 nloc=6
// ccn 1 + if, &&, ?, ? = 5
// cognitive: if 1, && 1, the two ternaries in JSX attributes and children 1 each = 4
function Badge({ count, urgent }: { count: number; urgent: boolean }) {
  if (count === 0 && !urgent) {
    return null;
  }
  return <span className={urgent ? "red" : "grey"}>{count > 99 ? "99+" : count}</span>;
}
