"""What the code extractor reads off a function's signature and calls: its name and qualified
name, its parameter count, what counts as a function at all, and which calls are recursion.
Each expectation is read off the source by hand (lizard reports the same names and counts)."""

from __future__ import annotations

import pytest

from bmad.extractors.code import extract


def rows(language: str, source: str | bytes) -> list[tuple[str, str, int]]:
    data = source.encode() if isinstance(source, str) else source
    metrics = extract(data, language)
    assert not metrics.has_syntax_errors, source
    return [(f.name, f.qualified_name, f.params) for f in metrics.functions]


@pytest.mark.parametrize(
    ("language", "source", "expected"),
    [
        # a pointer return type wraps the function's declarator
        ("c", "char *name(int a) { return 0; }\n", [("name", "name", 1)]),
        # a C++ reference return type wraps it too, in no field: `int &at(int i)` is at
        (
            "cpp",
            "int &at(int i) { return i; }\nstd::string&& take(std::string&& s) { return s; }\n",
            [("at", "at", 1), ("take", "take", 1)],
        ),
        # no function declarator at all (a macro read as `FOO (x)`): anonymous, no parameters
        ("c", "FOO(x) { return 1; }\n", [("(anonymous)", "(anonymous)", 0)]),
        # unnamed parameters count; `(void)` is no parameter in C++ either
        ("c", "int f(int, char) { return 0; }\n", [("f", "f", 2)]),
        ("cpp", "void on(int, char *) {}\n", [("on", "on", 2)]),
        ("cpp", "int none(void) { return 0; }\n", [("none", "none", 0)]),
        # `/` and `*` separate parameters without being any: a, b, c
        ("python", "def f(a, /, b, *, c):\n    pass\n", [("f", "f", 3)]),
        # a comment between parameters is none
        ("c", "int f(int a, /* why */ int b) { return a; }\n", [("f", "f", 2)]),
        # no parameter list at all: 0
        ("ruby", "def bare\nend\n", [("bare", "bare", 0)]),
        ("python", "g = lambda: 0\n", [("(anonymous)", "(anonymous)", 0)]),
        # a function expression's own name comes before the name it is bound to
        ("javascript", "const outer = function inner(p) {};\n", [("inner", "inner", 1)]),
        # TSX binds names like JavaScript
        ("tsx", "const f = (a: number) => a;\n", [("f", "f", 1)]),
    ],
)
def test_names_and_parameter_counts(
    language: str, source: str, expected: list[tuple[str, str, int]]
) -> None:
    assert rows(language, source) == expected


def test_go_methods_are_qualified_by_the_whole_receiver_type_name() -> None:
    # pointer or not, generic or not, one letter or a name starting with X: the type's name
    source = (
        "package p\n\n"
        "func (t *Tree) Walk() {}\n\n"
        "func (r R[T]) Len() int { return 0 }\n\n"
        "func (x *Xray) Scan(depth int) {}\n"
    )
    assert rows("go", source) == [
        ("Walk", "Tree.Walk", 0),
        ("Len", "R.Len", 0),
        ("Scan", "Xray.Scan", 1),
    ]


def test_rust_impl_scopes_drop_their_type_arguments() -> None:
    # `A<T>` -> A (a one-letter type), `Tree<Vec<T>>` -> Tree (nested arguments)
    source = (
        "struct A<T>(T);\n"
        "impl<T> A<T> {\n    fn m(&self) {}\n}\n"
        "impl<T: Ord> Tree<Vec<T>> {\n    fn n() {}\n}\n"
    )
    assert rows("rust", source) == [("m", "A.m", 1), ("n", "Tree.n", 0)]


def test_body_less_declarations_are_not_functions() -> None:
    java = (
        "abstract class K {\n  abstract void a(int x);\n  void b() {}\n}\n"
        "interface I {\n  void c(int y);\n  default void d() {}\n}\n"
    )
    assert rows("java", java) == [("b", "K.b", 0), ("d", "I.d", 0)]
    csharp = (
        "abstract class K\n{\n    public abstract void A(int x);\n    public void B() {}\n}\n"
        "interface I\n{\n    void C(int y);\n}\n"
    )
    assert rows("csharp", csharp) == [("B", "K.B", 0)]


def test_a_csharp_operator_is_a_function_with_its_parameters() -> None:
    source = "class K\n{\n    public static K operator +(K a, K b) { return a; }\n}\n"
    ((_, _, params),) = rows("csharp", source)
    assert params == 2


def test_a_name_that_is_not_utf8_is_read_with_replacement_characters() -> None:
    # a Latin-1 e-acute in a quoted key the arrow is bound to
    assert rows("javascript", b"const table = {'caf\xe9': () => 1};\n") == [
        ("'caf\ufffd'", "'caf\ufffd'", 0)
    ]


@pytest.mark.parametrize(
    ("language", "source", "expected"),
    [
        # self.f is f calling itself (+1); other.f is another object's f (0)
        ("python", "def f(x):\n    return other.f(x) + self.f(x)\n", {"f": 1}),
        # A::f: if 1 + f(n - 1) 1 = 2 (called as f although named A::f); other->f is not f
        # on its own object and this->g is another function; A::g: this->g 1
        (
            "cpp",
            "int A::f(int n) { if (n) return f(n - 1); return other->f(n) + this->g(n); }\n"
            "int A::g(int n) { return this->g(n); }\n",
            {"A.f": 2, "A.g": 1},
        ),
    ],
)
def test_recursion_is_a_call_of_the_own_name_on_no_object_or_the_own_one(
    language: str, source: str, expected: dict[str, int]
) -> None:
    metrics = extract(source.encode(), language)
    assert {f.qualified_name: f.cognitive for f in metrics.functions} == expected


@pytest.mark.parametrize(
    ("preamble", "before_return"),
    [
        ("    # the wrapper keeps the name of f\n", ""),
        ("", "    # hand the wrapper back\n"),
        ('    "Wrap f" " in a check."\n', ""),
    ],
    ids=["comment-first", "comment-before-return", "concatenated-docstring"],
)
def test_a_decorator_with_a_comment_or_a_docstring_adds_no_nesting(
    preamble: str, before_return: str
) -> None:
    # deco only defines wrapper and returns it: wrapper's if counts in deco at level 0,
    # cognitive 1 (not 1 + 1)
    source = (
        "def deco(f):\n"
        + preamble
        + "    def wrapper(x):\n        if x:\n            return f(x)\n"
        + before_return
        + "    return wrapper\n"
    )
    metrics = extract(source.encode(), "python")
    assert {f.name: f.cognitive for f in metrics.functions} == {"deco": 1, "wrapper": 1}
