// Constructs the cognitive (SonarSource) and cyclomatic (lizard) rules name, one per function.
#include <stdexcept>
#include <vector>

int read(int path);

// expect: name=chains ccn=8 cognitive=5 max_nesting=1 params=4 nloc=9
// ccn 1 + if, &&, && + if, ||, ||, && = 8
// cognitive: if 1, `a && b && c` one sequence 1; if 1, `a || b || (c && d)` two sequences 2
bool chains(bool a, bool b, bool c, bool d) {
  if (a && b && c) {
    return true;
  }
  if (a || b || (c && d)) {
    return false;
  }
  return a;
}

// expect: name=total ccn=5 cognitive=5 max_nesting=2 params=1 nloc=9
// ccn 1 + for, while, &&, ?: = 5
// cognitive: range for 1, while inside it 1 + 1, && 1, ternary 1 = 6
int total(const std::vector<int>& items) {
  int sum = 0;
  for (int item : items) {
    while (item > 0 && sum < 100) {
      sum += item--;
    }
  }
  return sum > 0 ? sum : 0;
}

// expect: name=load ccn=4 cognitive=4 max_nesting=2 params=1 nloc=12
// ccn 1 + catch, catch, if = 4 (try does not count)
// cognitive: catch 1, catch 1, if inside a catch 1 + 1 = 4
int load(int path) {
  try {
    return read(path);
  } catch (const std::out_of_range& error) {
    return -1;
  } catch (...) {
    if (path > 0) {
      throw;
    }
    return 0;
  }
}

struct Node {
  Node* left;
  // expect: name=depth ccn=2 cognitive=3 max_nesting=1 params=0 nloc=6
  // ccn 1 + if = 2; cognitive: if 1, recursive calls (through this-> and bare) 1 + 1 = 3
  int depth() const {
    if (left == nullptr) {
      return 1;
    }
    return this->depth() + depth();
  }
};
