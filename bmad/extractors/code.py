"""Tree-sitter code extractor: per-function and per-file metrics for the 11 languages.

One tree-sitter query per file (built once per language from the node-type tables in
code_rules.py) captures every node the metrics look at; the captures are swept once in
document order. Measured on the stdlib this is ~2.5x faster than a TreeCursor walk over all
nodes in Python. A scan appends the import patterns to the same query
(bmad/scanning/analyse.py), so one query cursor serves both.

Functions
---------
Reported as their own entry. A function's CCN, nesting, exits and tokens EXCLUDE the bodies of
functions nested in it (lizard's rows); its cognitive complexity INCLUDES them, as Sonar's
white paper attributes lambdas and nested functions to the enclosing method (see below):

| language   | node types                                                     | anonymous   |
|------------|----------------------------------------------------------------|-------------|
| python     | function_definition, lambda                                    | lambda      |
| js/ts/tsx  | function/generator declarations and expressions, arrow, method | expressions*|
| go         | function_declaration, method_declaration, func_literal         | func_literal|
| java       | method/constructor/compact constructor, lambda_expression      | lambda      |
| c          | function_definition                                            | -           |
| cpp        | function_definition, lambda_expression                         | lambda      |
| csharp     | method/ctor/dtor/operator/conversion, local function, lambda,  | lambda,     |
|            | anonymous method                                               | delegate    |
| rust       | function_item, closure_expression                              | closure     |
| ruby       | method, singleton_method, lambda (blocks stay in their method) | lambda      |

* a JS/TS function expression or arrow takes, as lizard does, its own name or the name it is
  bound to (`const f = ...`, `a.b = ...`, `{key: ...}`, class fields); otherwise "(anonymous)".
Body-less declarations (Java/C# abstract and interface methods) are not functions.

name: the function's own name (C++ `A::b` as written). qualified_name: enclosing classes and
functions joined by "." (Python `A.m.inner`, Java `A.m`, Rust `impl T { fn m }` -> `T.m`,
Go `func (r *T) M` -> `T.M`, C++ `A::b` -> `A.b`).
start_line: the line of the function's name (lizard's rule; skips decorators, annotations,
modifiers and a return type on its own line); anonymous functions start at their node.
end_line: last line of the node; length = end_line - start_line + 1.
nloc: lines in [start_line, end_line] holding code (nested functions' lines included: nloc and
length are physical spans). params: declared parameters (Python `self` counts; C `(void)` is 0;
Go `a, b int` is 2; `*`, `/` separators are not parameters). tokens: tree-sitter syntax
nodes (inner and leaf) of the function's own body, nested functions excluded; larger than
lizard's token count, comparable within bmad only.

CCN (lizard's token rule): 1 + one per condition token in the function's own body

| language   | tokens                                                                  |
|------------|-------------------------------------------------------------------------|
| python     | if elif for while except finally and or case (comprehension for/if and  |
|            | the conditional expression's if count, as in lizard)                    |
| javascript | if for while catch case ? && || ??                                      |
| ts/tsx     | same; `?` only in a ternary (not optional parameters/members)           |
| go, java, c, cpp | if for while catch case ? && ||                                   |
| csharp     | if for while catch case ? && || ??                                      |
| rust       | if for while where ? && || , `let ... else`, each match arm but the first|
| ruby       | if elsif until for while rescue ensure when and or && || ?              |

`else if` counts once (only its `if`); `default`, `else` and `unless` do not count; the `&&`
of a C++ rvalue reference (`T&& x`) is no operator (nor in cognitive complexity).

Cognitive complexity (SonarSource white paper) within the function's own body:

| rule                      | constructs                                                   |
|---------------------------|--------------------------------------------------------------|
| +1 + nesting, nests (B1-3)| if (not an else-if), ternary/conditional expression, switch/ |
|                           | match/select/case, loops (for, for-in/of/range, while, do,   |
|                           | loop), catch/except/rescue, Ruby modifiers (x if c, x while c)|
| +1 flat (B1)              | else if / elif / elsif, else (of an if; in Python also of a  |
|                           | for/while loop), goto, labelled break/continue, each        |
|                           | sequence of like boolean operators, each recursive call      |
| not counted               | comprehensions, try/finally, a try's else                    |

Nesting: a nesting structure raises the nesting level of its whole subtree (its condition
included); else-if chains stay at the level of their first if. max_nesting: the deepest
nesting level reached in the function's own body (0 = no structure).

Conventions, the same in every language unless said otherwise:

- Nested functions and lambdas (B3): each has its own row, counted from level 0; the
  enclosing function's score also includes it one level deeper, i.e. its own score plus
  (level at which it is defined + 1) for each of its structures that took nesting. Python
  decorators are exempt: a function whose body only defines a function and returns it (after
  an optional docstring; the inner one may be decorated, e.g. functools.wraps) adds no level.
- Recursion (B1): +1 for each call, in the function's own body, of the function by its own
  name, bare or through its own object (self, cls, this, Self::, this->); calls made inside a
  nested function or lambda are that function's. Mutual recursion is not detected (it would
  need a call graph across functions and files).
- A loop's else (Python's for/while ... else) is +1 like an if's else (SonarPython).
Boolean sequences are read off the syntax tree: an operator adds +1 unless its operand parent
is the same operator (`a && b && c` +1, `a && b || c` +2).

returns (exit points): `return` and `throw` tokens; Python `return`/`raise`; Go, C, Rust,
Ruby `return` only (Ruby's `raise` is a method call in its grammar, panic() likewise in Go).

Largest condition (condition_operators, condition_line: the Complex Conditional smell's input,
kept out of `bmad scan --json`): a condition is any node's `condition` field (if, elif, while,
for, ternary, ... in every grammar: code_rules.py lists the node types; the first node when the
field holds several), Python's `x if c else y` and Go's `for c {}`. Its size is the number of
`&&` `||` `and` `or` binary operators within its span (those of a lambda inside it included).
A function's conditions are those of its own body; the largest has the most operators, the
first line on a tie; 0 and 0 without a condition.

File lines: loc = physical lines; a line is code when it holds a character outside comments;
comment_lines = lines touched by a comment; blank = neither. Python docstrings (any statement
that is only a string literal) are comments for these counts and for nloc (lizard also drops
docstrings from NLOC); they still count as tokens.
has_syntax_errors: the tree holds ERROR or MISSING nodes; functions are still reported.
"""

from __future__ import annotations

from bisect import bisect_left
from functools import cache
from itertools import accumulate
from typing import TYPE_CHECKING

from bmad.extractors.code_rules import RULES, LanguageRules
from bmad.extractors.languages import Captures, new_parser
from bmad.extractors.metrics import FileMetrics, FunctionMetrics

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Query, Tree

EXTRACTOR_VERSION = 5

# capture kinds, in the order they are applied to nodes sharing a span (a condition that is
# itself a lambda belongs to the function around it)
(
    _CONDITION,
    _CONDITION_HOLDER,
    _CONDITION_OPERATOR,
    _FUNC,
    _SCOPE,
    _DOC,
    _COMMENT,
    _NEST,
    _IF,
    _FLAT,
    _ELSE,
    _JUMP,
    _ARMS,
    _CCN,
    _BOOL,
    _EXIT,
    _ELSE_TOKEN,
    _CALL,
) = range(18)
_CAPTURES = (
    "condition",
    "condition_holder",
    "condition_operator",
    "func",
    "scope",
    "doc",
    "comment",
    "nest",
    "if",
    "flat",
    "else",
    "jump",
    "arms",
    "ccn",
    "bool",
    "exit",
    "else_token",
    "call",
)
_CAPTURE_KINDS = {name: kind for kind, name in enumerate(_CAPTURES)}
# open-span kinds
_POP_NEST, _POP_FUNC, _POP_SCOPE = range(3)

_ANONYMOUS = "(anonymous)"
_BOOL_PARENTS = frozenset({"binary_expression", "boolean_operator", "binary"})
# What a condition's size counts, in every grammar that has them as binary operators (C++ and
# C# also spell them "and"/"or", which CCN does not count)
_CONDITION_OPERATORS = frozenset({"&&", "||", "and", "or"})
_GO_FOR_HEADERS = frozenset({"for_clause", "range_clause", "block"})
_COMMENTS = frozenset({"comment", "line_comment", "block_comment"})
_NOT_PARAMETERS = frozenset({"keyword_separator", "positional_separator"}) | _COMMENTS
_PARAMETER_LISTS = frozenset({"parameter_list", "formal_parameters", "parameters"})
# Calls, for recursion: the callee expression (the whole call where the grammar has no
# callee field)
_CALL_PATTERNS = {
    "python": "(call function: _ @call)\n",
    "java": "(method_invocation) @call\n",
    "csharp": "(invocation_expression function: _ @call)\n",
    "ruby": "(call) @call\n",
    **{
        language: "(call_expression function: _ @call)\n"
        for language in ("javascript", "typescript", "tsx", "go", "c", "cpp", "rust")
    },
}
_SPACES_KEEP_NEWLINES = bytes(10 if byte == 10 else 32 for byte in range(256))


def query_source(language: str) -> str:
    """The patterns capturing every node the metrics look at in ``language``.

    Other per-file extractors append their own patterns (with other capture names) so that
    one query cursor serves all of them: the cursor's walk over every node of the tree costs
    about as much as a query with a single pattern.
    """
    from bmad.extractors.languages import load_language

    grammar = load_language(language)
    rules = RULES[language]

    def known(name: str, named: bool) -> bool:
        return grammar.id_for_node_kind(name, named) is not None

    def possible(source: str) -> bool:
        from tree_sitter import Query, QueryError

        try:
            Query(grammar, source)
        except QueryError:
            return False
        return True

    def pattern(types: frozenset[str], capture: str, *, named: bool) -> str:
        present = sorted(name for name in types if known(name, named))
        if not present:
            return ""
        alternatives = " ".join(f"({name})" if named else f'"{name}"' for name in present)
        return f"[{alternatives}] @{capture}\n"

    if_nesting = rules.if_types & rules.nesting_types
    plain_tokens = rules.ccn_tokens - rules.bool_tokens - frozenset(rules.ccn_token_parents)
    parts = [
        pattern(rules.function_types, "func", named=True),
        pattern(frozenset(rules.scope_types), "scope", named=True),
        pattern(rules.nesting_types - if_nesting, "nest", named=True),
        pattern(if_nesting, "if", named=True),
        pattern(rules.flat_types, "flat", named=True),
        pattern(rules.else_types, "else", named=True),
        pattern(rules.jump_types, "jump", named=True),
        pattern(rules.ccn_arm_lists, "arms", named=True),
        pattern(rules.comment_types, "comment", named=True),
        pattern(plain_tokens, "ccn", named=False),
        pattern(rules.bool_tokens, "bool", named=False),
        pattern(rules.exit_tokens - rules.ccn_tokens, "exit", named=False),
    ]
    for token, parents in sorted(rules.ccn_token_parents.items()):
        for parent in sorted(parents):
            candidate = f'({parent} "{token}" @ccn)\n'
            if known(parent, True) and known(token, False) and possible(candidate):
                parts.append(candidate)
    if known("else", False):
        for parent in sorted(rules.if_types):
            candidate = f'({parent} "else" @else_token)\n'
            if known(parent, True) and possible(candidate):
                parts.append(candidate)
    call = _CALL_PATTERNS.get(language)
    if call is not None:
        parts.append(call)
    if language == "python":
        parts.append("(expression_statement . [(string) (concatenated_string)] .) @doc\n")
    parts += [
        f"({parent} condition: _ @condition)\n"
        for parent in sorted(rules.condition_types)
        if known(parent, True)
    ]
    if language == "python":  # x if c else y
        parts.append("(conditional_expression) @condition_holder\n")
    if language == "go":  # for c {}
        parts.append("(for_statement) @condition_holder\n")
    for parent in sorted(_BOOL_PARENTS):
        for operator in sorted(_CONDITION_OPERATORS):
            candidate = f'({parent} "{operator}" @condition_operator)\n'
            if known(parent, True) and known(operator, False) and possible(candidate):
                parts.append(candidate)
    return "".join(parts)


@cache
def _query(language: str) -> Query:
    from tree_sitter import Query

    from bmad.extractors.languages import load_language

    return Query(load_language(language), query_source(language))


@cache
def _parser(language: str) -> Parser:
    return new_parser(language)


def extract(source: bytes, language: str) -> FileMetrics:
    """Parse `source` with this process's cached parser for `language`, then measure it."""
    return measure(_parser(language).parse(source), source, language)


def measure(
    tree: Tree, source: bytes, language: str, captures: Captures | None = None
) -> FileMetrics:
    """Metrics of one parsed file; pure (no I/O), deterministic for the same bytes.

    ``captures``: the tree's captures of a query holding :func:`query_source`'s patterns
    (names this module does not know are ignored); run here when not given.
    """
    if captures is None:
        from tree_sitter import QueryCursor

        captures = QueryCursor(_query(language)).captures(tree.root_node)
    walk = _Walk(source, language, RULES[language])
    comments = walk.run(captures)
    loc, sloc, comment_lines, blank_lines, code_prefix = _line_counts(source, comments)
    functions = []
    for _, data in sorted(walk.functions, key=lambda item: item[0]):
        (
            name,
            qualified,
            start,
            end,
            params,
            ccn,
            cognitive,
            nesting,
            returns,
            tokens,
            (condition_operators, condition_line),
        ) = data
        functions.append(
            FunctionMetrics(
                name=name,
                qualified_name=qualified,
                start_line=start,
                end_line=end,
                nloc=code_prefix[min(end, loc)] - code_prefix[min(start - 1, loc)],
                length=end - start + 1,
                ccn=ccn,
                cognitive=cognitive,
                max_nesting=nesting,
                params=params,
                returns=returns,
                tokens=tokens,
                condition_operators=condition_operators,
                condition_line=condition_line,
            )
        )
    return FileMetrics(
        language=language,
        loc=loc,
        sloc=sloc,
        comment_lines=comment_lines,
        blank_lines=blank_lines,
        has_syntax_errors=tree.root_node.has_error,
        functions=tuple(functions),
    )


def _event_key(event: tuple[int, int, int, Node]) -> tuple[int, int, int]:
    return event[0], event[1], event[2]


_FunctionInfo = tuple[str, str, int, int, int, int]
_Condition = tuple[int, int, int]  # start byte, end byte, line
_Saved = tuple[bool, int, int, int, int, int, int, list[_Condition], int]
_FunctionData = tuple[str, str, int, int, int, int, int, int, int, int, tuple[int, int]]


class _Walk:
    """The single cursor walk; collects functions and comment spans."""

    def __init__(self, source: bytes, language: str, rules: LanguageRules) -> None:
        self.source = source
        self.language = language
        self.rules = rules
        self.functions: list[tuple[int, _FunctionData]] = []

    def run(self, captures: Captures) -> list[tuple[int, int, int, int]]:  # noqa: PLR0915
        """Walk the captured nodes in document order; return comment spans (bytes and rows)."""
        rules = self.rules
        if_types = rules.if_types
        else_parents = rules.else_parents
        label_types = rules.label_types
        events: list[tuple[int, int, int, Node]] = []
        for capture, nodes in captures.items():
            kind = _CAPTURE_KINDS.get(capture)
            if kind is None:
                continue
            events.extend((node.start_byte, -node.end_byte, kind, node) for node in nodes)
        events.sort(key=_event_key)
        comments: list[tuple[int, int, int, int]] = []
        open_spans: list[tuple[int, int]] = []  # (end byte, kind)
        # one per open function: the enclosing state, the function, its node, and the extra
        # nesting its structures get in the enclosing function's count
        frames: list[tuple[_Saved, _FunctionInfo, Node, int]] = []
        scopes: list[str] = []
        in_function = False
        ccn = cognitive = nesting = max_nesting = returns = inner_nodes = structures = 0
        conditions: list[_Condition] = []  # of the open function's own body
        condition_fields: set[int] = set()  # nodes whose condition field was seen
        operators: list[int] = []  # start bytes of boolean operators, in document order
        for start_byte, negative_end, kind, node in events:
            while open_spans and open_spans[-1][0] <= start_byte:
                span_kind = open_spans.pop()[1]
                if span_kind == _POP_NEST:
                    nesting -= 1
                elif span_kind == _POP_SCOPE:
                    scopes.pop()
                else:
                    saved, function_info, function_node, bump = frames.pop()
                    scopes.pop()
                    size = function_node.descendant_count
                    tokens = size - 1 - inner_nodes
                    largest = _largest_condition(conditions, operators)
                    self._finish(
                        function_info, ccn, cognitive, max_nesting, returns, tokens, largest
                    )
                    inner_cognitive, inner_structures = cognitive, structures
                    (
                        in_function,
                        ccn,
                        cognitive,
                        nesting,
                        max_nesting,
                        returns,
                        inner_nodes,
                        conditions,
                        structures,
                    ) = saved
                    inner_nodes += size
                    # the nested function's structures count here too, one level deeper
                    # (none deeper for the function a Python decorator returns)
                    cognitive += inner_cognitive + (nesting + bump) * inner_structures
                    structures += inner_structures
            end_byte = -negative_end
            if kind == _FUNC:
                info = self._function_info(node, scopes)
                if info is not None:
                    saved = (
                        in_function,
                        ccn,
                        cognitive,
                        nesting,
                        max_nesting,
                        returns,
                        inner_nodes,
                        conditions,
                        structures,
                    )
                    bump = 0 if frames and self._returns_only(frames[-1][2], node) else 1
                    open_spans.append((end_byte, _POP_FUNC))
                    frames.append((saved, info, node, bump))
                    scopes.append(info[0])
                    in_function = True
                    ccn, cognitive, nesting, max_nesting, returns, inner_nodes = 1, 0, 0, 0, 0, 0
                    structures = 0
                    conditions = []
            elif kind == _SCOPE:
                name_node = node.child_by_field_name(rules.scope_types[node.type])
                scopes.append(_scope_name(name_node, self.source))
                open_spans.append((end_byte, _POP_SCOPE))
            elif kind in (_COMMENT, _DOC):
                comments.append((start_byte, end_byte, node.start_point[0], node.end_point[0]))
            elif not in_function:
                continue
            elif kind == _CCN:
                ccn += 1
            elif kind == _BOOL:
                # an operator's token only (C++ `T&& x` declares an rvalue reference)
                expression = node.parent
                if expression is not None and expression.type in _BOOL_PARENTS:
                    ccn += 1
                    if _starts_boolean_sequence(expression, node.type):
                        cognitive += 1
            elif kind in (_NEST, _IF):
                if kind == _IF and _is_else_if(node):
                    cognitive += 1
                else:
                    cognitive += 1 + nesting
                    structures += 1
                    nesting += 1
                    max_nesting = max(max_nesting, nesting)
                    open_spans.append((end_byte, _POP_NEST))
            elif kind == _EXIT:
                returns += 1
            elif kind == _FLAT:
                cognitive += 1
            elif kind == _ELSE_TOKEN:
                following = node.next_sibling
                if following is None or following.type not in if_types:
                    cognitive += 1
            elif kind == _ELSE:
                parent = node.parent
                if (
                    parent is not None
                    and parent.type in else_parents
                    and not any(child.type in if_types for child in node.named_children)
                ):
                    cognitive += 1
            elif kind == _JUMP:
                if any(child.type in label_types for child in node.named_children):
                    cognitive += 1
            elif kind == _ARMS:
                arms = sum(1 for child in node.named_children if child.type == "match_arm")
                if arms > 1:
                    ccn += arms - 1
            elif kind == _CONDITION_OPERATOR:
                operators.append(start_byte)
            elif kind == _CONDITION:
                # a field may hold several nodes (a C-style for's condition and its ";")
                parent = node.parent
                field_owner = node.id if parent is None else parent.id
                if field_owner not in condition_fields:
                    condition_fields.add(field_owner)
                    conditions.append((start_byte, end_byte, node.start_point[0] + 1))
            elif kind == _CONDITION_HOLDER:
                held = self._held_condition(node)
                if held is not None:
                    conditions.append((held.start_byte, held.end_byte, held.start_point[0] + 1))
            elif kind == _CALL and _called_name(node, self.source) == _own_name(frames[-1][1][0]):
                cognitive += 1  # recursion
        while frames:
            saved, function_info, function_node, bump = frames.pop()
            size = function_node.descendant_count
            self._finish(
                function_info,
                ccn,
                cognitive,
                max_nesting,
                returns,
                size - 1 - inner_nodes,
                _largest_condition(conditions, operators),
            )
            inner_cognitive, inner_structures = cognitive, structures
            (
                in_function,
                ccn,
                cognitive,
                nesting,
                max_nesting,
                returns,
                inner_nodes,
                conditions,
                structures,
            ) = saved
            inner_nodes += size
            cognitive += inner_cognitive + (nesting + bump) * inner_structures
            structures += inner_structures
        return comments

    def _returns_only(self, enclosing: Node, nested: Node) -> bool:
        """Whether ``enclosing`` is a Python decorator-style function: its body only defines
        ``nested`` (decorated or not, after an optional docstring) and returns."""
        if self.language != "python":
            return False
        body = enclosing.child_by_field_name("body")
        if body is None or nested.parent is None:
            return False
        statements = [
            child
            for child in body.named_children
            if child.type != "comment" and not _is_docstring(child)
        ]
        definition = nested.parent if nested.parent.type == "decorated_definition" else nested
        return (
            len(statements) == 2
            and statements[0] == definition
            and statements[1].type == "return_statement"
        )

    def _held_condition(self, node: Node) -> Node | None:
        """The condition of a node that holds it in no field: Python's ``x if c else y``, or
        Go's ``for c {}`` (a bare condition comes first, with no header clause)."""
        named = [child for child in node.named_children if child.type not in _COMMENTS]
        if self.language == "python":
            return named[1] if len(named) == 3 else None
        if named and named[0].type not in _GO_FOR_HEADERS:
            return named[0]
        return None

    def _finish(
        self,
        info: _FunctionInfo,
        ccn: int,
        cognitive: int,
        max_nesting: int,
        returns: int,
        tokens: int,
        largest_condition: tuple[int, int],
    ) -> None:
        name, qualified, start, end, params, start_byte = info
        data = (
            name,
            qualified,
            start,
            end,
            params,
            ccn,
            cognitive,
            max_nesting,
            returns,
            tokens,
            largest_condition,
        )
        self.functions.append((start_byte, data))

    def _function_info(
        self, node: Node, scopes: list[str]
    ) -> tuple[str, str, int, int, int, int] | None:
        """(name, qualified name, start line, end line, params, start byte); None if body-less."""
        rules = self.rules
        node_type = node.type
        if node_type in rules.declaration_types and node.children[-1].type == ";":
            return None
        language = self.language
        name_node: Node | None = None
        params_node: Node | None = None
        owner: str | None = None
        if language in ("c", "cpp") and node_type == "function_definition":
            declarator = node.child_by_field_name("declarator")
            while declarator is not None and declarator.type != "function_declarator":
                declarator = _inner_declarator(declarator)
            if declarator is not None:
                name_node = declarator.child_by_field_name("declarator")
                params_node = declarator.child_by_field_name("parameters")
            name = _text(name_node, self.source) if name_node is not None else _ANONYMOUS
        else:
            params_node = _parameters_node(node)
            if node_type in rules.anonymous_types:
                name_node = node.child_by_field_name("name")
                if name_node is not None:
                    name = _text(name_node, self.source)
                elif language in ("javascript", "typescript", "tsx"):
                    name = _bound_name(node, self.source)
                else:
                    name = _ANONYMOUS
            else:
                name_node = node.child_by_field_name("name")
                name = _text(name_node, self.source) if name_node is not None else _ANONYMOUS
                if node_type == "method_declaration" and language == "go":
                    owner = _go_receiver_type(node, self.source)
        line_node = name_node if name_node is not None else node
        start = line_node.start_point[0] + 1
        end = node.end_point[0] + 1
        path = [owner] if owner else scopes
        qualified = ".".join([*path, name.replace("::", ".")])
        params = _count_parameters(params_node, language)
        return name, qualified, start, max(start, end), params, node.start_byte


def _inner_declarator(declarator: Node) -> Node | None:
    """The declarator a C/C++ declarator wraps (a C++ reference, ``int &f()``, holds it in no
    field)."""
    if declarator.type == "reference_declarator":
        return declarator.named_children[-1] if declarator.named_children else None
    return declarator.child_by_field_name("declarator")


def _largest_condition(conditions: list[_Condition], operators: list[int]) -> tuple[int, int]:
    """(boolean operators, line) of the condition with the most operators within its span (a
    lambda's inside it included), the first line on a tie; (0, 0) without conditions."""
    if not conditions:
        return 0, 0
    count, negative_line = max(
        (bisect_left(operators, end) - bisect_left(operators, start), -line)
        for start, end, line in conditions
    )
    return count, -negative_line


def _text(node: Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _scope_name(name_node: Node | None, source: bytes) -> str:
    if name_node is None:
        return _ANONYMOUS
    name = _text(name_node, source)
    generic = name.find("<")
    return name[:generic] if generic > 0 else name


def _is_else_if(node: Node) -> bool:
    parent = node.parent
    if parent is not None and parent.type == "else_clause":
        return True
    previous = node.prev_sibling
    return previous is not None and previous.type == "else"


def _is_docstring(statement: Node) -> bool:
    named = statement.named_children
    return (
        statement.type == "expression_statement"
        and len(named) == 1
        and named[0].type in ("string", "concatenated_string")
    )


# How a call names the function it calls on its own object: the field holding the object and
# the field holding the name, per node type; the object must be one of _SELF_OBJECTS.
_MEMBER_CALLEES = {
    "attribute": ("object", "attribute"),  # python self.f
    "member_expression": ("object", "property"),  # js/ts this.f
    "field_expression": ("value", "field"),  # rust self.f
    "member_access_expression": ("expression", "name"),  # c# this.F
    "method_invocation": ("object", "name"),  # java [this.]f(...)
    "call": ("receiver", "method"),  # ruby [self.]f(...)
    "scoped_identifier": ("path", "name"),  # rust Self::f
}
_SELF_OBJECTS = frozenset({"self", "cls", "this", "Self"})
_PLAIN_CALLEES = frozenset({"identifier", "field_identifier"})


def _called_name(callee: Node, source: bytes) -> str | None:
    """The name of the function a call calls by its bare name or on its own object (self,
    this); None for any other call."""
    if callee.type in _PLAIN_CALLEES:
        return _text(callee, source)
    fields = _MEMBER_CALLEES.get(callee.type)
    if fields is None:
        return None
    owner = callee.child_by_field_name(fields[0])
    if callee.type == "field_expression" and owner is None:  # C++ this->f
        owner = callee.child_by_field_name("argument")
    name = callee.child_by_field_name(fields[1])
    if name is None or (owner is not None and _text(owner, source) not in _SELF_OBJECTS):
        return None
    return _text(name, source)


def _own_name(name: str) -> str:
    """A function's name as its body calls it (C++ ``A::f`` is called ``f``)."""
    return name.rpartition("::")[2]


def _starts_boolean_sequence(expression: Node, operator_type: str) -> bool:
    """True unless the operator's expression is an operand of the same operator."""
    outer = expression.parent
    if outer is None or outer.type != expression.type:
        return True
    outer_operator = outer.child_by_field_name("operator")
    return outer_operator is None or outer_operator.type != operator_type


def _bound_name(node: Node, source: bytes) -> str:
    """The name a JS/TS function expression is bound to, as lizard reports it."""
    parent = node.parent
    if parent is None:
        return _ANONYMOUS
    field = {
        "variable_declarator": "name",
        "assignment_expression": "left",
        "pair": "key",
        "public_field_definition": "name",
        "field_definition": "property",
    }.get(parent.type)
    if field is None:
        return _ANONYMOUS
    target = parent.child_by_field_name(field)
    return _text(target, source) if target is not None else _ANONYMOUS


def _go_receiver_type(node: Node, source: bytes) -> str | None:
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return None
    for declaration in receiver.named_children:
        type_node = declaration.child_by_field_name("type")
        if type_node is not None:
            name = _text(type_node, source).lstrip("*").strip()
            bracket = name.find("[")
            return name[:bracket] if bracket > 0 else name
    return None


def _parameters_node(node: Node) -> Node | None:
    params = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
    if params is not None:
        return params
    declarator = node.child_by_field_name("declarator")  # C++ lambda
    if declarator is not None:
        return declarator.child_by_field_name("parameters")
    for child in node.named_children:
        if child.type in _PARAMETER_LISTS or child.type == "implicit_parameter":
            return child
    return None


def _count_parameters(params: Node | None, language: str) -> int:
    if params is None:
        return 0
    if params.named_child_count == 0:
        return 1 if params.type in ("identifier", "implicit_parameter") else 0
    if params.type in ("identifier", "implicit_parameter"):
        return 1
    if language == "csharp":
        # `params int[] rest` is a keyword, a type and a name side by side, not a parameter node
        named = params.named_children
        arrays = sum(1 for child in params.children if child.type == "params")
        return sum(1 for child in named if child.type == "parameter") + arrays
    count = 0
    for child in params.named_children:
        child_type = child.type
        if child_type in _NOT_PARAMETERS:
            continue
        if language == "go" and child_type in (
            "parameter_declaration",
            "variadic_parameter_declaration",
        ):
            count += max(1, len(child.children_by_field_name("name")))
        elif (
            language in ("c", "cpp")
            and child_type == "parameter_declaration"
            and child.child_by_field_name("declarator") is None
            and child.named_child_count == 1
            and child.named_children[0].type == "primitive_type"
            and child.named_children[0].text == b"void"
        ):
            continue
        else:
            count += 1
    return count


def _line_counts(
    source: bytes, comments: list[tuple[int, int, int, int]]
) -> tuple[int, int, int, int, list[int]]:
    """loc, sloc, comment lines, blank lines, and a prefix sum of code lines (index = line)."""
    if comments:
        masked = bytearray(source)
        comment_rows: set[int] = set()
        for start_byte, end_byte, start_row, end_row in comments:
            masked[start_byte:end_byte] = source[start_byte:end_byte].translate(
                _SPACES_KEEP_NEWLINES
            )
            comment_rows.update(range(start_row, end_row + 1))
        text = bytes(masked)
    else:
        comment_rows = set()
        text = source
    lines = text.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    loc = len(lines)
    code = [1 if line.strip() else 0 for line in lines]
    sloc = sum(code)
    comment_rows = {row for row in comment_rows if row < loc}
    blank = sum(1 for row, flag in enumerate(code) if not flag and row not in comment_rows)
    prefix = list(accumulate(code, initial=0))
    return loc, sloc, len(comment_rows), blank, prefix
