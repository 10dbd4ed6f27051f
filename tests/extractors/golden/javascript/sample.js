// expect: name=scan ccn=12 cognitive=14 max_nesting=3 params=2 nloc=21
// ccn 1 + if, ||, else-if's if, for, if, &&, case, case, catch, ?, ?? (11);
// `default` and `else` do not count.
// cognitive: if 1, || 1, else if 1 (flat), for 1+1, inner if 1+2, && 1,
// labelled continue 1, else 1, switch 1, catch 1, ternary 1 (?? adds nothing) = 14
function scan(list, flag) {
  if (!list || flag) {
    return 0;
  } else if (list.length > 10) {
    outer: for (const item of list) {
      if (item && flag) {
        continue outer;
      }
    }
  } else {
    list.pop();
  }
  switch (flag) {
    case 1: break;
    case 2: break;
    default: break;
  }
  try { list.shift(); } catch (error) { throw error; }
  const value = flag ? 1 : 2;
  return value ?? 0;
}

// || alone: ccn 2, one boolean sequence
// expect: name=handler ccn=2 cognitive=1 max_nesting=0 params=1 nloc=3
const handler = (event) => {
  return event.ok || event.retry;
};
