"""Function names, qualified names and parameter counts per language, as lizard reports them.

JS/TS function expressions take the name they are bound to; methods are qualified by their
class (Go by the receiver's type, without pointer or type parameters); generic type parameters
are not part of a scope's name; a C `(void)` parameter list is empty, Go's `a, b int` is two.
"""

from __future__ import annotations

import pytest

from bmad.extractors.code import extract


def rows(language: str, source: str) -> list[tuple[str, str, int]]:
    metrics = extract(source.encode(), language)
    assert not metrics.has_syntax_errors, source
    return [(f.name, f.qualified_name, f.params) for f in metrics.functions]


def test_javascript_function_expressions_take_the_name_they_are_bound_to() -> None:
    source = (
        "const viaConst = function () {};\n"
        "let viaArrow = (a, b) => a;\n"
        "holder.viaAssignment = x => x;\n"
        "const table = { viaPair: function (q) {}, 'quoted': () => 1 };\n"
        "class K {\n  field = (p) => p;\n  method(a, b, c) {}\n}\n"
        "run(function () {});\n"
    )
    assert rows("javascript", source) == [
        ("viaConst", "viaConst", 0),
        ("viaArrow", "viaArrow", 2),
        ("holder.viaAssignment", "holder.viaAssignment", 1),
        ("viaPair", "viaPair", 1),
        ("'quoted'", "'quoted'", 0),
        ("field", "K.field", 1),
        ("method", "K.method", 3),
        ("(anonymous)", "(anonymous)", 0),
    ]


def test_typescript_class_fields_and_generic_classes() -> None:
    source = (
        "class Box<T> {\n"
        "  private handler = (value: T): T => value;\n"
        "  get<K extends keyof T>(key: K, fallback?: T): T { return fallback as T; }\n"
        "}\n"
        "function solo(...rest: number[]): void {}\n"
    )
    assert rows("typescript", source) == [
        ("handler", "Box.handler", 1),
        ("get", "Box.get", 2),
        ("solo", "solo", 1),
    ]


def test_go_methods_are_qualified_by_the_receiver_type() -> None:
    source = (
        "package p\n\n"
        "type Ring[T any] struct{}\n\n"
        "func (r *Ring[T]) Push(a, b T, c int) {}\n\n"
        "func (Ring[T]) Len() int { return 0 }\n\n"
        "func free(values ...int) {}\n\n"
        "func pair(int, string) {}\n"
    )
    assert rows("go", source) == [
        ("Push", "Ring.Push", 3),
        ("Len", "Ring.Len", 0),
        ("free", "free", 1),
        ("pair", "pair", 2),
    ]


def test_go_function_literals_are_anonymous_inside_their_function() -> None:
    source = "package p\n\nfunc outer() {\n\tf := func(x int) int { return x }\n\t_ = f\n}\n"
    assert rows("go", source) == [("outer", "outer", 0), ("(anonymous)", "outer.(anonymous)", 1)]


@pytest.mark.parametrize(
    ("signature", "params"),
    [("void f(void)", 0), ("void f()", 0), ("void f(int a, char *b)", 2), ("void f(void *p)", 1)],
)
def test_c_parameter_lists(signature: str, params: int) -> None:
    ((name, _, counted),) = rows("c", signature + " {}\n")
    assert (name, counted) == ("f", params)


def test_cpp_methods_templates_and_lambdas() -> None:
    source = (
        "template <typename T> class Stack {\n"
        " public:\n"
        "  void push(const T& item, int times) {}\n"
        "};\n"
        "int Stack<int>::size() const { return 0; }\n"
        "auto twice = [](int x) { return 2 * x; };\n"
    )
    names = rows("cpp", source)
    assert ("push", "Stack.push", 2) in names
    assert ("(anonymous)", "(anonymous)", 1) in names


def test_java_and_csharp_methods_are_qualified_by_their_class() -> None:
    java = "class Outer<T> {\n  class Inner {\n    void run(int a, String... rest) {}\n  }\n}\n"
    assert rows("java", java) == [("run", "Outer.Inner.run", 2)]
    csharp = "class Shop\n{\n    int Price(int a, params int[] rest) { return a; }\n}\n"
    assert rows("csharp", csharp) == [("Price", "Shop.Price", 2)]
    lambdas = (
        "class K\n{\n    void M()\n    {\n        Func<int, int, int> f = (a, b) => a;\n    }\n}\n"
    )
    assert rows("csharp", lambdas) == [("M", "K.M", 0), ("(anonymous)", "K.M.(anonymous)", 2)]


def test_python_and_ruby_methods() -> None:
    python = (
        "class Shelf:\n    def place(self, item, *rest, force=False, **options):\n        pass\n"
    )
    assert rows("python", python) == [("place", "Shelf.place", 5)]
    ruby = "class Shelf\n  def place(item, force = false, *rest, &block)\n  end\nend\n"
    assert rows("ruby", ruby) == [("place", "Shelf.place", 4)]


def test_rust_methods_in_impl_blocks() -> None:
    source = (
        "struct Meter;\n"
        "impl Meter {\n    fn read(&self, scale: u32, offset: u32) -> u32 { scale + offset }\n}\n"
        "fn add(a: u32, b: u32) -> u32 { let f = |x: u32| x; f(a) + b }\n"
    )
    names = rows("rust", source)
    assert names[0] == ("read", "Meter.read", 3)
    assert ("add", "add", 2) in names
    # a closure is named after the function that holds it
    assert ("(anonymous)", "add.(anonymous)", 1) in names


def test_a_function_starts_on_its_names_line_and_ends_on_its_last() -> None:
    python = "@decorated\ndef spread(\n    a,\n):\n    return a\n"
    ((start, end),) = [
        (f.start_line, f.end_line) for f in extract(python.encode(), "python").functions
    ]
    assert (start, end) == (2, 5)
    javascript = "const later =\n  function () {\n    return 1;\n  };\n"
    (function,) = extract(javascript.encode(), "javascript").functions
    assert (function.name, function.start_line, function.end_line) == ("later", 2, 4)


def test_cpp_out_of_class_definitions_and_c_prototypes() -> None:
    source = "int proto(int a);\nint Outer::Inner::size(int a) const { return a; }\n"
    assert rows("cpp", source) == [("Outer::Inner::size", "Outer.Inner.size", 1)]
    assert rows("c", "int proto(int a);\nint real(void) { return 0; }\n") == [("real", "real", 0)]
