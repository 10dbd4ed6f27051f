// Constructs the cognitive (SonarSource) and cyclomatic (lizard) rules name, one per function.

// expect: name=chains ccn=8 cognitive=5 max_nesting=1 params=4 nloc=9
// ccn 1 + if, &&, && + if, ||, ||, && = 8
// cognitive: if 1, `a && b && c` one sequence 1; if 1, `a || b || (c && d)` two sequences 2
fn chains(a: bool, b: bool, c: bool, d: bool) -> i32 {
    if a && b && c {
        return 1;
    }
    if a || b || (c && d) {
        return 2;
    }
    0
}

// expect: name=drain ccn=3 cognitive=7 max_nesting=3 params=1 nloc=13
// ccn 1 + while, if = 3 (lizard counts neither `loop` nor labels)
// cognitive: loop 1, while let inside it 1 + 1, if 1 + 2, continue 'outer 1 = 7
fn drain(mut items: Vec<i32>) -> i32 {
    let mut total = 0;
    'outer: loop {
        while let Some(item) = items.pop() {
            if item < 0 {
                continue 'outer;
            }
            total += item;
        }
        break;
    }
    total
}
