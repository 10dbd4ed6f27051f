// Constructs the cognitive (SonarSource) and cyclomatic (lizard) rules name, one per function.

// expect: name=chains ccn=8 cognitive=5 max_nesting=1 params=4 nloc=9
// ccn 1 + if, &&, && + if, ||, ||, && = 8
// cognitive: if 1, `a && b && c` one sequence 1; if 1, `a || b || (c && d)` two sequences 2 = 5
function chains(a, b, c, d) {
  if (a && b && c) {
    return 1;
  }
  if (a || b || (c && d)) {
    return 2;
  }
  return 0;
}

// expect: name=grade ccn=4 cognitive=4 max_nesting=1 params=1 nloc=11
// ccn 1 + if, else-if's if, else-if's if = 4
// cognitive: if 1, else if 1, else if 1, else 1 (flat) = 4
function grade(score) {
  if (score > 90) {
    return "a";
  } else if (score > 80) {
    return "b";
  } else if (score > 70) {
    return "c";
  } else {
    return "d";
  }
}

// expect: name=sign ccn=3 cognitive=3 max_nesting=2 params=1 nloc=3
// ccn 1 + ?, ? = 3; cognitive: ternary 1, the ternary in its alternative 1 + 1 = 3
function sign(x) {
  return x < 0 ? "neg" : x === 0 ? "zero" : "pos";
}

// expect: name=find ccn=6 cognitive=12 max_nesting=3 params=2 nloc=14
// ccn 1 + for, for, if, if, do-while's while = 6 (labels, break, continue do not count)
// cognitive: for 1, for 1 + 1, if 1 + 2, break outer 1, if 1 + 2, continue outer 1,
// do-while 1 = 12
function find(rows, target) {
  outer: for (const row of rows) {
    for (const cell of row) {
      if (cell === target) {
        break outer;
      }
      if (!cell) continue outer;
    }
  }
  do {
    target--;
  } while (target > 0);
  return target;
}

// expect: name=load ccn=3 cognitive=3 max_nesting=2 params=1 nloc=12
// ccn 1 + catch, if = 3 (try and finally do not count)
// cognitive: catch 1, if inside the catch 1 + 1 = 3
function load(path) {
  try {
    return read(path);
  } catch (error) {
    if (error.code) {
      throw error;
    }
    return null;
  } finally {
    close(path);
  }
}

// expect: name=route ccn=5 cognitive=3 max_nesting=2 params=1 nloc=14
// ccn 1 + case, case, case, if = 5 (default does not count)
// cognitive: switch 1 (cases add nothing), if inside the switch 1 + 1 = 3
function route(command) {
  switch (command) {
    case "go":
      return 1;
    case "stop":
    case "halt":
      return 2;
    default:
      if (command) {
        return 3;
      }
      return 4;
  }
}

// expect: name=walk ccn=2 cognitive=5 max_nesting=1 params=1 nloc=7
// ccn 1 + if = 2 (the arrow's ? is its own)
// cognitive: if 1, the arrow's ternary one level deeper 1 + 1, recursive calls (bare and
// through this) 1 + 1 = 5
// expect: name=size ccn=2 cognitive=1 max_nesting=1 params=1 nloc=1
// the arrow on its own: ternary 1
function walk(node) {
  if (!node) {
    return 0;
  }
  const size = (child) => (child ? child.size : 0);
  return walk(node.left) + this.walk(node.right) + size(node);
}
