"""Imports, includes and ``use`` declarations of one file, read from its tree-sitter tree.

:func:`extract_imports` runs on the tree the code extractor already parsed, so a file is
parsed once for both lenses. It records imports as written; resolving them to files is the
resolver's job. Dynamic imports (``__import__``, ``import()``, ``require(expr)``) and
conditional ones (inside ``if``/``try``, ``#ifdef`` other than an include guard, Rust
``#[cfg]``) are flagged ``dynamic`` so that they are counted as unresolved, never guessed.

``kind`` per language:

- python: ``import``, ``from`` (``level`` = leading dots, ``names`` = imported names, ``*``
  for a wildcard), ``dynamic`` (``__import__``/``importlib.import_module``)
- javascript/typescript/tsx: ``import``, ``reexport`` (``export ... from``), ``require``,
  ``dynamic_import``
- go: ``import`` (``names`` = the alias when there is one)
- java: ``package`` (the file's own package declaration), ``import``, ``import_static``;
  a wildcard import has ``names == ("*",)``
- c/cpp: ``include`` (``"..."``), ``include_system`` (``<...>``)
- rust: ``mod`` (``mod x;`` with a file body; nested inline modules give ``a::x``), ``use``
  (one ref per leaf of a use tree, ``self``/``super`` normalised to the file's module),
  ``extern_crate``
- ruby: ``require``, ``require_relative``, ``load``
- csharp: ``namespace`` (declared), ``using``, ``using_static``
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING

from bmad.extractors.languages import Captures, load_language
from bmad.extractors.metrics import ImportRef

if TYPE_CHECKING:
    from tree_sitter import Node, Query, Tree

IMPORTS_VERSION = 1

_QUERIES: dict[str, str] = {
    "python": """
        (import_statement) @import
        (import_from_statement) @from
    """,
    "javascript": """
        (import_statement) @import
        (export_statement source: (_)) @reexport
        (call_expression function: (import)) @dynamic_import
    """,
    "go": """
        (import_spec) @import
    """,
    "java": """
        (package_declaration) @package
        (import_declaration) @import
    """,
    "c": """
        (preproc_include) @include
    """,
    "rust": """
        (mod_item !body) @mod
        (use_declaration) @use
        (extern_crate_declaration) @extern_crate
    """,
    "csharp": """
        (namespace_declaration) @namespace
        (file_scoped_namespace_declaration) @namespace
        (using_directive) @using
    """,
}
# Patterns with a text predicate, which tree-sitter checks by calling back into Python for
# every candidate node (every call, on the stdlib ~40% of the import pass): run only on files
# whose bytes hold one of the names, which no file without them can match.
_GUARDED: dict[str, tuple[tuple[bytes, ...], str]] = {
    "python": (
        (b"__import__", b"import_module"),
        """
        (call function: [(identifier) (attribute)] @fn
              (#match? @fn "^(__import__|importlib[.]import_module)$")) @dynamic
        """,
    ),
    "javascript": (
        (b"require",),
        """(call_expression function: (identifier) @fn (#eq? @fn "require")) @require""",
    ),
    "ruby": (
        (b"require", b"load"),
        """
        (call method: (identifier) @fn
              (#match? @fn "^(require|require_relative|load)$")) @require
        """,
    ),
}
_QUERY_FAMILY = {"typescript": "javascript", "tsx": "javascript", "cpp": "c"}
_TS_EXTRA = """
    (import_require_clause source: (_)) @require_clause
"""

_CONDITIONAL_PARENTS: dict[str, frozenset[str]] = {
    "python": frozenset({"if_statement", "try_statement", "conditional_expression"}),
    "javascript": frozenset({"if_statement", "try_statement", "ternary_expression"}),
    "c": frozenset({"preproc_if", "preproc_ifdef", "preproc_elif", "preproc_else"}),
    "ruby": frozenset({"if", "unless", "begin", "if_modifier", "unless_modifier", "rescue"}),
}


def query_source(language: str, source: bytes) -> str:
    """The import patterns for ``language`` that can match ``source`` ("" when none).

    Patterns with a text predicate are left out unless ``source`` names one of their
    words. Callers may append these patterns to another extractor's query and pass the
    captures to :func:`extract_imports`: capture names here are this module's own.
    """
    family = _QUERY_FAMILY.get(language, language)
    patterns = _QUERIES.get(family, "")
    if language in ("typescript", "tsx"):
        patterns += _TS_EXTRA
    guarded = _GUARDED.get(family)
    if guarded is not None and any(name in source for name in guarded[0]):
        patterns += guarded[1]
    return patterns


@cache
def _query(language: str, patterns: str) -> Query:
    from tree_sitter import Query

    return Query(load_language(language), patterns)


def extract_imports(
    tree: Tree, source: bytes, language: str, captures: Captures | None = None
) -> tuple[ImportRef, ...]:
    """Every import-like statement of a parsed file, in source order.

    ``captures``: the tree's captures of a query holding :func:`query_source`'s patterns
    for this source (other capture names are ignored); run here when not given.
    """
    if captures is None:
        patterns = query_source(language, source)
        if not patterns:
            return ()
        from tree_sitter import QueryCursor

        captures = QueryCursor(_query(language, patterns)).captures(tree.root_node)
    handlers = _HANDLERS[_QUERY_FAMILY.get(language, language)]
    found: list[tuple[tuple[int, int], ImportRef]] = []
    for capture, nodes in captures.items():
        handler = handlers.get(capture)
        if handler is None:
            continue
        for node in nodes:
            found.extend((node.start_point, ref) for ref in handler(node))
    found.sort(key=lambda item: item[0])
    return tuple(dict.fromkeys(ref for _, ref in found))


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def _line(node: Node) -> int:
    return node.start_point[0] + 1


def _inside(node: Node, types: frozenset[str], stop: Node | None = None) -> bool:
    parent = node.parent
    while parent is not None and parent != stop:
        if parent.type in types:
            return True
        parent = parent.parent
    return False


def _string_literal(node: Node | None) -> str | None:
    """The value of a plain string literal; None for anything computed."""
    if node is None:
        return None
    if node.type in ("string", "interpreted_string_literal", "raw_string_literal"):
        parts = [child for child in node.named_children if not child.type.endswith("_start")]
        parts = [child for child in parts if not child.type.endswith("_end")]
        if any(child.type not in _STRING_CONTENT for child in parts):
            return None
        return "".join(_text(child) for child in parts)
    if node.type == "template_string" and not node.named_children:
        return _text(node)[1:-1]
    if node.type == "string_literal":  # C/C++ include
        return "".join(_text(child) for child in node.named_children)
    return None


_STRING_CONTENT = frozenset(
    {
        "string_content",
        "string_fragment",
        "interpreted_string_literal_content",
        "escape_sequence",
    }
)

# --- python ---------------------------------------------------------------------------------


def _python_conditional(node: Node) -> bool:
    return _inside(node, _CONDITIONAL_PARENTS["python"])


def _python_import(node: Node) -> Iterator[ImportRef]:
    dynamic = _python_conditional(node)
    for name in node.children_by_field_name("name"):
        target = name.child_by_field_name("name") if name.type == "aliased_import" else name
        yield ImportRef(_text(target), _line(node), "import", dynamic=dynamic)


def _python_from(node: Node) -> Iterator[ImportRef]:
    module = node.child_by_field_name("module_name")
    if module is None:
        return
    level = 0
    target: Node | None = module
    if module.type == "relative_import":
        prefix = module.named_children[0] if module.named_children else None
        level = len(_text(prefix)) if prefix is not None and prefix.type == "import_prefix" else 0
        dotted = [child for child in module.named_children if child.type == "dotted_name"]
        target = dotted[0] if dotted else None
    names: list[str] = []
    for name in node.children_by_field_name("name"):
        plain = name.child_by_field_name("name") if name.type == "aliased_import" else name
        names.append(_text(plain))
    if any(child.type == "wildcard_import" for child in node.named_children):
        names.append("*")
    yield ImportRef(
        _text(target),
        _line(node),
        "from",
        tuple(names),
        level,
        _python_conditional(node),
    )


def _python_dynamic(node: Node) -> Iterator[ImportRef]:
    arguments = node.child_by_field_name("arguments")
    first = arguments.named_children[0] if arguments and arguments.named_children else None
    target = _string_literal(first) or ""
    yield ImportRef(target, _line(node), "dynamic", dynamic=True)


# --- javascript / typescript ------------------------------------------------------------------


def _js_conditional(node: Node) -> bool:
    return _inside(node, _CONDITIONAL_PARENTS["javascript"])


def _js_named(node: Node) -> tuple[str, ...]:
    names: list[str] = []
    for clause in node.named_children:
        if clause.type == "import_clause":
            for part in clause.named_children:
                if part.type == "identifier":
                    names.append("default")
                elif part.type == "namespace_import":
                    names.append("*")
                elif part.type == "named_imports":
                    names.extend(
                        _text(spec.child_by_field_name("name"))
                        for spec in part.named_children
                        if spec.type == "import_specifier"
                    )
        elif clause.type == "export_clause":
            names.extend(
                _text(spec.child_by_field_name("name"))
                for spec in clause.named_children
                if spec.type == "export_specifier"
            )
        elif clause.type == "namespace_export":
            names.append("*")
    return tuple(names)


def _js_import(node: Node) -> Iterator[ImportRef]:
    source = node.child_by_field_name("source")
    target = _string_literal(source)
    if source is None:
        return
    yield ImportRef(target or "", _line(node), "import", _js_named(node), dynamic=target is None)


def _js_reexport(node: Node) -> Iterator[ImportRef]:
    source = node.child_by_field_name("source")
    target = _string_literal(source)
    names = _js_named(node) or ("*",)
    yield ImportRef(target or "", _line(node), "reexport", names, dynamic=target is None)


def _first_argument(node: Node) -> Node | None:
    arguments = node.child_by_field_name("arguments")
    if arguments is None or not arguments.named_children:
        return None
    return arguments.named_children[0]


def _js_require(node: Node) -> Iterator[ImportRef]:
    target = _string_literal(_first_argument(node))
    dynamic = target is None or _js_conditional(node)
    yield ImportRef(target or "", _line(node), "require", dynamic=dynamic)


def _js_dynamic_import(node: Node) -> Iterator[ImportRef]:
    target = _string_literal(_first_argument(node))
    yield ImportRef(target or "", _line(node), "dynamic_import", dynamic=True)


def _ts_require_clause(node: Node) -> Iterator[ImportRef]:
    target = _string_literal(node.child_by_field_name("source"))
    yield ImportRef(target or "", _line(node), "require", dynamic=target is None)


# --- go ---------------------------------------------------------------------------------------


def _go_import(node: Node) -> Iterator[ImportRef]:
    target = _string_literal(node.child_by_field_name("path"))
    alias = node.child_by_field_name("name")
    names = (_text(alias),) if alias is not None else ()
    yield ImportRef(target or "", _line(node), "import", names, dynamic=target is None)


# --- java -------------------------------------------------------------------------------------


def _java_package(node: Node) -> Iterator[ImportRef]:
    for child in node.named_children:
        if child.type in ("scoped_identifier", "identifier"):
            yield ImportRef(_text(child), _line(node), "package")
            return


def _java_import(node: Node) -> Iterator[ImportRef]:
    is_static = any(child.type == "static" for child in node.children)
    wildcard = any(child.type == "asterisk" for child in node.children)
    for child in node.named_children:
        if child.type in ("scoped_identifier", "identifier"):
            yield ImportRef(
                _text(child),
                _line(node),
                "import_static" if is_static else "import",
                ("*",) if wildcard else (),
            )
            return


# --- c / c++ ----------------------------------------------------------------------------------


def _is_include_guard(node: Node) -> bool:
    """``#ifndef X`` / ``#define X`` wrapping a whole header is not a condition on its includes."""
    if node.type != "preproc_ifdef" or node.parent is None or node.parent.parent is not None:
        return False
    if not _text(node).startswith("#ifndef"):
        return False
    name = _text(node.child_by_field_name("name"))
    body = [child for child in node.named_children if child.type != "identifier"]
    first = body[0] if body else None
    return (
        first is not None
        and first.type == "preproc_def"
        and _text(first.child_by_field_name("name")) == name
    )


def _c_conditional(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in _CONDITIONAL_PARENTS["c"] and not _is_include_guard(parent):
            return True
        parent = parent.parent
    return False


def _c_include(node: Node) -> Iterator[ImportRef]:
    path = node.child_by_field_name("path")
    if path is None:
        return
    conditional = _c_conditional(node)
    if path.type == "system_lib_string":
        yield ImportRef(_text(path)[1:-1], _line(node), "include_system", dynamic=conditional)
        return
    target = _string_literal(path)
    yield ImportRef(target or "", _line(node), "include", dynamic=target is None or conditional)


# --- rust -------------------------------------------------------------------------------------


def _inline_modules(node: Node) -> list[str]:
    """Names of the inline ``mod x { ... }`` blocks enclosing ``node``, outermost first."""
    names: list[str] = []
    parent = node.parent
    while parent is not None:
        if parent.type == "mod_item":
            names.append(_text(parent.child_by_field_name("name")))
        parent = parent.parent
    return names[::-1]


def _rust_attributes(node: Node) -> list[str]:
    attributes: list[str] = []
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type == "attribute_item":
        attributes.append(_text(sibling))
        sibling = sibling.prev_named_sibling
    return attributes


def _rust_conditional(node: Node) -> bool:
    current: Node | None = node
    while current is not None:
        for attribute in _rust_attributes(current):
            if attribute.replace(" ", "").startswith(("#[cfg(", "#[path")):
                return True
        current = current.parent
        while current is not None and current.type not in ("mod_item", "function_item"):
            current = current.parent
    return False


def _rust_mod(node: Node) -> Iterator[ImportRef]:
    path = [*_inline_modules(node), _text(node.child_by_field_name("name"))]
    yield ImportRef("::".join(path), _line(node), "mod", dynamic=_rust_conditional(node))


def _use_leaves(node: Node, prefix: list[str]) -> Iterator[tuple[list[str], bool]]:
    """(path segments, is_wildcard) for each leaf of a use tree."""
    kind = node.type
    if kind == "use_as_clause":
        yield from _use_leaves(node.child_by_field_name("path") or node, prefix)
    elif kind == "use_wildcard":
        inner = node.named_children[0] if node.named_children else None
        yield ([*prefix, *_path_segments(inner)] if inner else prefix), True
    elif kind == "scoped_use_list":
        inner_path = node.child_by_field_name("path")
        base = [*prefix, *_path_segments(inner_path)] if inner_path else prefix
        listing = node.child_by_field_name("list")
        if listing is not None:
            yield from _use_leaves(listing, base)
    elif kind == "use_list":
        for child in node.named_children:
            yield from _use_leaves(child, prefix)
    elif kind == "self":
        yield prefix, False
    else:
        yield [*prefix, *_path_segments(node)], False


def _path_segments(node: Node) -> list[str]:
    if node.type == "scoped_identifier":
        path = node.child_by_field_name("path")
        name = node.child_by_field_name("name")
        return [*(_path_segments(path) if path else []), _text(name)]
    return [_text(node)]


def _normalise_rust_path(segments: list[str], inline: list[str]) -> list[str]:
    """Rewrite ``self``/``super`` inside inline modules relative to the file's own module."""
    if not segments or segments[0] not in ("self", "super") or not inline:
        return segments
    if segments[0] == "self":
        return ["self", *inline, *segments[1:]]
    supers = 0
    while supers < len(segments) and segments[supers] == "super":
        supers += 1
    rest = segments[supers:]
    if supers <= len(inline):
        return ["self", *inline[: len(inline) - supers], *rest]
    return ["super"] * (supers - len(inline)) + rest


def _rust_use(node: Node) -> Iterator[ImportRef]:
    argument = node.child_by_field_name("argument")
    if argument is None:
        return
    inline = _inline_modules(node)
    dynamic = _rust_conditional(node)
    for segments, wildcard in _use_leaves(argument, []):
        path = _normalise_rust_path(segments, inline)
        yield ImportRef(
            "::".join(path), _line(node), "use", ("*",) if wildcard else (), dynamic=dynamic
        )


def _rust_extern_crate(node: Node) -> Iterator[ImportRef]:
    yield ImportRef(_text(node.child_by_field_name("name")), _line(node), "extern_crate")


# --- ruby -------------------------------------------------------------------------------------


def _ruby_require(node: Node) -> Iterator[ImportRef]:
    method = _text(node.child_by_field_name("method"))
    target = _string_literal(_first_argument(node))
    dynamic = target is None or _inside(node, _CONDITIONAL_PARENTS["ruby"])
    yield ImportRef(target or "", _line(node), method, dynamic=dynamic)


# --- c# ---------------------------------------------------------------------------------------


def _csharp_namespace(node: Node) -> Iterator[ImportRef]:
    yield ImportRef(_text(node.child_by_field_name("name")), _line(node), "namespace")


def _csharp_using(node: Node) -> Iterator[ImportRef]:
    is_static = any(child.type == "static" for child in node.children)
    alias = node.child_by_field_name("name")
    names = (_text(alias),) if alias is not None else ()
    targets = [
        child
        for child in node.named_children
        if child != alias and child.type in ("qualified_name", "identifier")
    ]
    if targets:
        kind = "using_static" if is_static else "using"
        yield ImportRef(_text(targets[0]), _line(node), kind, names)


_Handler = Callable[["Node"], Iterator[ImportRef]]
_HANDLERS: dict[str, dict[str, _Handler]] = {
    "python": {"import": _python_import, "from": _python_from, "dynamic": _python_dynamic},
    "javascript": {
        "import": _js_import,
        "reexport": _js_reexport,
        "require": _js_require,
        "dynamic_import": _js_dynamic_import,
        "require_clause": _ts_require_clause,
    },
    "go": {"import": _go_import},
    "java": {"package": _java_package, "import": _java_import},
    "c": {"include": _c_include},
    "rust": {"mod": _rust_mod, "use": _rust_use, "extern_crate": _rust_extern_crate},
    "ruby": {"require": _ruby_require},
    "csharp": {"namespace": _csharp_namespace, "using": _csharp_using},
}
