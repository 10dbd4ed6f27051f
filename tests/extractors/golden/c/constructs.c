/* Constructs the cognitive (SonarSource) and cyclomatic (lizard) rules name, one per function. */

/* expect: name=chains ccn=8 cognitive=5 max_nesting=1 params=4 nloc=9
   ccn 1 + if, &&, && + if, ||, ||, && = 8
   cognitive: if 1, `a && b && c` one sequence 1; if 1, `a || b || (c && d)` two sequences 2 */
int chains(int a, int b, int c, int d) {
  if (a && b && c) {
    return 1;
  }
  if (a || b || (c && d)) {
    return 2;
  }
  return 0;
}

/* expect: name=grade ccn=4 cognitive=4 max_nesting=1 params=1 nloc=11
   ccn 1 + if, else-if's if, else-if's if = 4; cognitive: if 1, else if 1, else if 1, else 1 */
int grade(int score) {
  if (score > 90) {
    return 4;
  } else if (score > 80) {
    return 3;
  } else if (score > 70) {
    return 2;
  } else {
    return 1;
  }
}

/* expect: name=scan ccn=4 cognitive=5 max_nesting=2 params=2 nloc=12
   ccn 1 + do-while's while, if, ?: = 4 (goto does not count)
   cognitive: do-while 1, if inside it 1 + 1, goto fail 1, ternary 1 = 5 */
int scan(int *items, int n) {
  int i = 0;
  do {
    if (items[i] < 0) {
      goto fail;
    }
    i++;
  } while (i < n);
  return n > 0 ? i : -1;
fail:
  return -1;
}

/* expect: name=route ccn=5 cognitive=3 max_nesting=2 params=1 nloc=11
   ccn 1 + case, case, case, ?: = 5 (default does not count)
   cognitive: switch 1 (cases add nothing), the ternary inside the switch 1 + 1 = 3 */
int route(int command) {
  switch (command) {
    case 1:
      return 1;
    case 2:
    case 3:
      return 2;
    default:
      return command > 9 ? 3 : 4;
  }
}

/* expect: name=fib ccn=2 cognitive=3 max_nesting=1 params=1 nloc=6
   ccn 1 + if = 2; cognitive: if 1, two recursive calls 1 + 1 = 3 */
int fib(int n) {
  if (n < 2) {
    return n;
  }
  return fib(n - 1) + fib(n - 2);
}
