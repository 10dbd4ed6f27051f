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

struct Counter;

impl Counter {
    // expect: name=fib ccn=2 cognitive=3 max_nesting=1 params=1 nloc=6
    // ccn 1 + if = 2; cognitive: if 1, recursive calls through Self:: 1 + 1 = 3
    fn fib(n: u32) -> u32 {
        if n < 2 {
            return n;
        }
        Self::fib(n - 1) + Self::fib(n - 2)
    }

    // expect: name=count ccn=2 cognitive=3 max_nesting=1 params=2 nloc=7
    // ccn 1 + if = 2 (the closure's && is its own); cognitive: if 1, the closure's && 1 (a
    // boolean sequence is flat, so one level deeper adds nothing), the call self.count 1 = 3
    // expect: name=(anonymous) ccn=2 cognitive=1 max_nesting=0 params=1 nloc=1
    // the closure on its own: && 1
    fn count(&self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let small = |x: u32| x > 0 && x < 10;
        self.count(n - 1) + small(n) as u32
    }
}
