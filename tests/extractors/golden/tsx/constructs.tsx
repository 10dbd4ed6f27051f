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

// expect: name=Tree ccn=2 cognitive=3 max_nesting=1 params=1 nloc=8
// ccn 1 + if = 2 (the arrow's && is its own)
// cognitive: if 1, the arrow's && 1 (flat: one level deeper adds nothing), the recursive
// call Tree(...) 1 = 3
// expect: name=(anonymous) ccn=2 cognitive=1 max_nesting=0 params=1 nloc=1
function Tree({ node }: { node: { children: unknown[] } | null }) {
  if (!node) {
    return null;
  }
  const visible = node.children.filter((child) => child !== null && child !== undefined);
  Tree({ node: null });
  return <ul>{visible.length}</ul>;
}
