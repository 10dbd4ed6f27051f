package sample

// expect: name=Walk ccn=8 cognitive=10 max_nesting=2 params=3 nloc=21
// ccn 1 + if, ||, else-if's if, for, &&, case, case (default does not count) = 8
// cognitive: if 1, || 1, else if 1, else 1, for 1, && 1, switch 1+1,
// continue with label 1, goto 1 = 10
func (t *Tree) Walk(a, b int, name string) int {
	if a > 0 || b > 0 {
		return 1
	} else if a < 0 {
		return 2
	} else {
		a = 3
	}
loop:
	for i := 0; i < a && i < b; i++ {
		switch i {
		case 1:
			continue loop
		case 2:
			goto done
		default:
		}
	}
done:
	return 0
}
