// Constructs the cognitive (SonarSource) and cyclomatic (lizard) rules name, one per method.
class Constructs {
    // expect: name=chains ccn=8 cognitive=5 max_nesting=1 params=4 nloc=9
    // ccn 1 + if, &&, && + if, ||, ||, && = 8
    // cognitive: if 1, `a && b && c` one sequence 1; if 1, `a || b || (c && d)` two sequences 2
    boolean chains(boolean a, boolean b, boolean c, boolean d) {
        if (a && b && c) {
            return true;
        }
        if (a || b || (c && d)) {
            return false;
        }
        return a;
    }

    // expect: name=find ccn=6 cognitive=12 max_nesting=3 params=2 nloc=15
    // ccn 1 + for, for, if, if, do-while's while = 6
    // cognitive: for 1, for 1 + 1, if 1 + 2, break outer 1, if 1 + 2, continue outer 1,
    // do-while 1 = 12
    int find(int[][] rows, int target) {
        outer:
        for (int[] row : rows) {
            for (int cell : row) {
                if (cell == target) {
                    break outer;
                }
                if (cell < 0) continue outer;
            }
        }
        do {
            target--;
        } while (target > 0);
        return target;
    }

    // expect: name=load ccn=4 cognitive=4 max_nesting=2 params=1 nloc=14
    // ccn 1 + catch, catch, if = 4 (try and finally do not count)
    // cognitive: catch 1, catch 1, if inside a catch 1 + 1 = 4
    String load(String path) {
        try {
            return read(path);
        } catch (IllegalStateException error) {
            return null;
        } catch (RuntimeException error) {
            if (error.getMessage() != null) {
                throw error;
            }
            return "";
        } finally {
            close(path);
        }
    }

    // expect: name=route ccn=5 cognitive=3 max_nesting=2 params=1 nloc=11
    // ccn 1 + case, case, case, ?: = 5 (default does not count)
    // cognitive: switch 1 (cases add nothing), the ternary inside the switch 1 + 1 = 3
    int route(String command) {
        switch (command) {
            case "go":
                return 1;
            case "stop":
            case "halt":
                return 2;
            default:
                return command.isEmpty() ? 3 : 4;
        }
    }

    // expect: name=fib ccn=2 cognitive=3 max_nesting=1 params=1 nloc=6
    // ccn 1 + if = 2; cognitive: if 1, recursive calls (bare and through this) 1 + 1 = 3
    int fib(int n) {
        if (n < 2) {
            return n;
        }
        return fib(n - 1) + this.fib(n - 2);
    }

    // expect: name=sorter ccn=1 cognitive=2 max_nesting=0 params=0 nloc=3
    // cognitive: the lambda's ternary one level deeper, 1 + 1 = 2
    // expect: name=(anonymous) ccn=2 cognitive=1 max_nesting=1 params=2 nloc=1
    // the lambda on its own: ternary 1
    java.util.Comparator<Integer> sorter() {
        return (a, b) -> a < b ? -1 : 1;
    }

    String read(String path) { return path; }

    void close(String path) { }
}
