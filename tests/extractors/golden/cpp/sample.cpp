#include <exception>
#include <vector>

class Box {
public:
    // expect: name=fit ccn=5 cognitive=7 max_nesting=2 params=1 nloc=13
    // ccn 1 + for, if, ||, catch = 5 (the lambda's ? is its own);
    // cognitive: for 1, if 1+1, || 1, catch 1 (try does not nest) = 5, plus the lambda's
    // ternary one level deeper (the lambda nests): 1+1 = 7
    int fit(int size) {
        try {
            for (int v : values) {
                if (v > size || v < 0) {
                    return v;
                }
            }
        } catch (const std::exception &error) {
            return -1;
        }
        auto twice = [](int x) { return x > 0 ? x * 2 : 0; };
        return 0;
    }
    // the lambda: ccn 1 + ?; cognitive ternary 1
    // expect: name=(anonymous) ccn=2 cognitive=1 max_nesting=1 params=1 nloc=1
    std::vector<int> values;
};
