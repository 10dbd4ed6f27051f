class Sample {
    // expect: name=check ccn=8 cognitive=11 max_nesting=2 params=2 nloc=21
    // ccn 1 + if, &&, else-if's if, for, while, ternary ?, catch = 8 (the wildcard
    // <?> and the lambda's if do not count); cognitive: if 1, && 1, else if 1, else 1,
    // for 1, while 1+1, ternary 1 (try does not nest), catch 1 = 9, plus the lambda's if one
    // level deeper (the lambda nests): 1+1 = 11
    int check(int a, java.util.List<?> items) {
        if (a > 0 && a < 10) {
            return 1;
        } else if (a == 0) {
            return 0;
        } else {
            a = -a;
        }
        for (Object item : items) {
            while (a > 0) {
                a--;
            }
        }
        try {
            a = a > 5 ? 1 : 2;
        } catch (RuntimeException e) {
            throw e;
        }
        items.forEach(x -> { if (x == null) { return; } });
        return a;
    }
    // the lambda: ccn 1 + if; cognitive if 1
    // expect: name=(anonymous) ccn=2 cognitive=1 max_nesting=1 params=1 nloc=1
}
