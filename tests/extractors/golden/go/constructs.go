// Constructs the cognitive (SonarSource) and cyclomatic (lizard) rules name, one per function.
package sample

// expect: name=chains ccn=8 cognitive=5 max_nesting=1 params=4 nloc=9
// ccn 1 + if, &&, && + if, ||, ||, && = 8
// cognitive: if 1, `a && b && c` one sequence 1; if 1, `a || b || (c && d)` two sequences 2 = 5
func chains(a, b, c, d bool) int {
	if a && b && c {
		return 1
	}
	if a || b || (c && d) {
		return 2
	}
	return 0
}

// expect: name=grade ccn=3 cognitive=3 max_nesting=1 params=1 nloc=9
// ccn 1 + if, else-if's if = 3; cognitive: if 1, else if 1, else 1 = 3
func grade(score int) string {
	if score > 90 {
		return "a"
	} else if score > 80 {
		return "b"
	} else {
		return "c"
	}
}

// expect: name=find ccn=5 cognitive=11 max_nesting=3 params=2 nloc=14
// ccn 1 + for, for, if, if = 5 (labels, break, continue do not count)
// cognitive: for 1, for 1 + 1, if 1 + 2, break outer 1, if 1 + 2, continue outer 1 = 11
func find(rows [][]int, target int) int {
outer:
	for _, row := range rows {
		for _, cell := range row {
			if cell == target {
				break outer
			}
			if cell < 0 {
				continue outer
			}
		}
	}
	return target
}

// expect: name=route ccn=4 cognitive=3 max_nesting=2 params=1 nloc=13
// ccn 1 + case, case, if = 4 (a case listing two values is one case; default does not count)
// cognitive: switch 1 (cases add nothing), if inside the switch 1 + 1 = 3
func route(command string) int {
	switch command {
	case "go":
		return 1
	case "stop", "halt":
		return 2
	default:
		if command == "" {
			return 3
		}
		return 4
	}
}

// expect: name=fib ccn=2 cognitive=3 max_nesting=1 params=1 nloc=6
// ccn 1 + if = 2; cognitive: if 1, two recursive calls 1 + 1 = 3
func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

// expect: name=counter ccn=1 cognitive=2 max_nesting=0 params=0 nloc=9
// cognitive: the function literal's if one level deeper, 1 + 1 = 2
// expect: name=(anonymous) ccn=2 cognitive=1 max_nesting=1 params=0 nloc=6
// the literal on its own: if 1
func counter() func() int {
	count := 0
	return func() int {
		if count < 10 {
			count++
		}
		return count
	}
}
