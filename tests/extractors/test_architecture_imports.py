from __future__ import annotations

import pytest

from bmad.extractors.architecture_imports import extract_imports
from bmad.extractors.languages import new_parser
from bmad.extractors.metrics import ImportRef


def imports(language: str, source: str) -> list[ImportRef]:
    data = source.encode()
    return list(extract_imports(new_parser(language).parse(data), data, language))


def test_python_absolute_relative_wildcard_and_aliases() -> None:
    refs = imports(
        "python",
        "import a.b as c, d\nfrom . import x\nfrom ..p.q import (r as s, t)\nfrom m import *\n",
    )
    assert refs == [
        ImportRef("a.b", 1, "import"),
        ImportRef("d", 1, "import"),
        ImportRef("", 2, "from", ("x",), 1),
        ImportRef("p.q", 3, "from", ("r", "t"), 2),
        ImportRef("m", 4, "from", ("*",), 0),
    ]


def test_python_conditional_and_dynamic_imports_are_flagged() -> None:
    refs = imports(
        "python",
        "try:\n    import z\nexcept ImportError:\n    z = None\n"
        "if TYPE_CHECKING:\n    from q import R\n"
        "importlib.import_module('k')\n__import__(name)\n"
        "def f():\n    import lazy\n",
    )
    assert [(ref.target, ref.dynamic) for ref in refs] == [
        ("z", True),
        ("q", True),
        ("k", True),
        ("", True),
        ("lazy", False),
    ]


def test_python_syntax_error_still_yields_the_readable_imports() -> None:
    refs = imports("python", "import ok\ndef broken(:\n")
    assert ImportRef("ok", 1, "import") in refs


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
def test_js_family_imports_reexports_require_and_dynamic(language: str) -> None:
    refs = imports(
        language,
        "import a, {b as c} from './x';\n"
        "import * as ns from 'y';\n"
        "export {q} from './r';\n"
        "export * from './s';\n"
        "const t = require('./t');\n"
        "import('./u');\n"
        "import './side';\n"
        "const v = require(name);\n"
        "if (cond) { require('./w'); }\n",
    )
    assert refs == [
        ImportRef("./x", 1, "import", ("default", "b")),
        ImportRef("y", 2, "import", ("*",)),
        ImportRef("./r", 3, "reexport", ("q",)),
        ImportRef("./s", 4, "reexport", ("*",)),
        ImportRef("./t", 5, "require"),
        ImportRef("./u", 6, "dynamic_import", dynamic=True),
        ImportRef("./side", 7, "import"),
        ImportRef("", 8, "require", dynamic=True),
        ImportRef("./w", 9, "require", dynamic=True),
    ]


def test_typescript_import_equals_require() -> None:
    refs = imports("typescript", "import type {A} from './a';\nimport fs = require('fs');\n")
    assert refs == [ImportRef("./a", 1, "import", ("A",)), ImportRef("fs", 2, "require")]


def test_go_imports_with_alias() -> None:
    refs = imports("go", 'package main\nimport (\n  "fmt"\n  m "example.com/x/y"\n)\nimport "os"\n')
    assert refs == [
        ImportRef("fmt", 3, "import"),
        ImportRef("example.com/x/y", 4, "import", ("m",)),
        ImportRef("os", 6, "import"),
    ]


def test_java_package_class_wildcard_and_static_imports() -> None:
    refs = imports(
        "java",
        "package com.x;\nimport com.y.Foo;\nimport com.z.*;\nimport static com.w.Bar.baz;\n"
        "class A {}\n",
    )
    assert refs == [
        ImportRef("com.x", 1, "package"),
        ImportRef("com.y.Foo", 2, "import"),
        ImportRef("com.z", 3, "import", ("*",)),
        ImportRef("com.w.Bar.baz", 4, "import_static"),
    ]


@pytest.mark.parametrize("language", ["c", "cpp"])
def test_c_includes_guard_is_not_a_condition_but_ifdef_is(language: str) -> None:
    refs = imports(
        language,
        '#ifndef A_H\n#define A_H\n#include "foo.h"\n#include <stdio.h>\n'
        '#ifdef X\n#include "bar.h"\n#endif\n#include MACRO\n#endif\n',
    )
    assert refs == [
        ImportRef("foo.h", 3, "include"),
        ImportRef("stdio.h", 4, "include_system"),
        ImportRef("bar.h", 6, "include", dynamic=True),
        ImportRef("", 8, "include", dynamic=True),
    ]


def test_c_ifndef_without_matching_define_is_conditional() -> None:
    refs = imports("c", '#ifndef WIN\n#include "posix.h"\n#endif\n')
    assert refs == [ImportRef("posix.h", 2, "include", dynamic=True)]


def test_rust_mods_use_trees_and_inline_module_paths() -> None:
    refs = imports(
        "rust",
        "mod a;\n"
        "pub mod b { }\n"
        "use crate::x::{y, z::w as v, self};\n"
        "use super::q::*;\n"
        "extern crate serde;\n"
        "#[cfg(test)]\nmod tests;\n"
        "mod outer {\n  mod inner;\n  use super::a::B;\n  use self::inner::C;\n}\n",
    )
    assert refs == [
        ImportRef("a", 1, "mod"),
        ImportRef("crate::x::y", 3, "use"),
        ImportRef("crate::x::z::w", 3, "use"),
        ImportRef("crate::x", 3, "use"),
        ImportRef("super::q", 4, "use", ("*",)),
        ImportRef("serde", 5, "extern_crate"),
        ImportRef("tests", 7, "mod", dynamic=True),
        ImportRef("outer::inner", 9, "mod"),
        ImportRef("self::a::B", 10, "use"),
        ImportRef("self::outer::inner::C", 11, "use"),
    ]


def test_ruby_requires() -> None:
    refs = imports("ruby", "require 'json'\nrequire_relative '../lib/x'\nrequire name\n")
    assert refs == [
        ImportRef("json", 1, "require"),
        ImportRef("../lib/x", 2, "require_relative"),
        ImportRef("", 3, "require", dynamic=True),
    ]


def test_csharp_namespace_and_usings() -> None:
    refs = imports(
        "csharp",
        "using System.Text;\nusing static System.Math;\nusing A = B.C;\nnamespace N.M { }\n",
    )
    assert refs == [
        ImportRef("System.Text", 1, "using"),
        ImportRef("System.Math", 2, "using_static"),
        ImportRef("B.C", 3, "using", ("A",)),
        ImportRef("N.M", 4, "namespace"),
    ]
