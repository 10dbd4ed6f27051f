"""Per-language tree-sitter node-type tables that drive the code extractor (bmad.extractors.code).

Every table is a frozenset or a small dict so that the single walk over a tree does one hash
lookup per node. The meaning of each table, and the rules built on them, are documented in
bmad/extractors/code.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CLIKE_CCN = frozenset({"if", "for", "while", "catch", "&&", "||", "case", "?"})


@dataclass(frozen=True, slots=True)
class LanguageRules:
    # CCN: leaf tokens, each +1 (lizard's condition tokens)
    ccn_tokens: frozenset[str]
    # function-like node types reported as their own entries
    function_types: frozenset[str]
    # every node type the grammar lets carry a `condition` field: compiling `(T condition: _)`
    # for each named type finds them (preprocessor and error-recovery rules put some in odd
    # places); listing them captures what `(_ condition: _)` would at a fraction of its cost
    condition_types: frozenset[str]
    # function types that are anonymous by construction: lambdas, closures, literals
    anonymous_types: frozenset[str] = frozenset()
    # function types that may be body-less declarations (last child ";"): not reported
    declaration_types: frozenset[str] = frozenset()
    # class-like scopes: node type -> field holding the scope name
    scope_types: dict[str, str] = field(default_factory=dict)
    # ccn tokens counted only under one of the given parent types
    ccn_token_parents: dict[str, frozenset[str]] = field(default_factory=dict)
    # node types whose named children (arms) add one each except the first (Rust match arms)
    ccn_arm_lists: frozenset[str] = frozenset()
    # exit points: leaf tokens
    exit_tokens: frozenset[str] = frozenset({"return", "throw"})
    # cognitive: boolean operator tokens forming sequences
    bool_tokens: frozenset[str] = frozenset({"&&", "||"})
    # cognitive: structures with +1 plus nesting, that also raise nesting for their subtree
    nesting_types: frozenset[str] = frozenset()
    # cognitive: the if-like subset of nesting_types (an else-if of them adds +1 flat only)
    if_types: frozenset[str] = frozenset({"if_statement"})
    # cognitive: +1 flat (elif, elsif, goto)
    flat_types: frozenset[str] = frozenset()
    # cognitive: else nodes (inner nodes) that add +1 flat when under one of else_parents
    else_types: frozenset[str] = frozenset({"else_clause"})
    else_parents: frozenset[str] = frozenset({"if_statement"})
    # cognitive: break/continue, +1 when they carry a label child of label_types
    jump_types: frozenset[str] = frozenset({"break_statement", "continue_statement"})
    label_types: frozenset[str] = frozenset()
    comment_types: frozenset[str] = frozenset({"comment"})


_JS_FUNCTIONS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "generator_function",
        "arrow_function",
        "method_definition",
    }
)
_JS_NESTING = frozenset(
    {
        "if_statement",
        "for_statement",
        "for_in_statement",
        "while_statement",
        "do_statement",
        "switch_statement",
        "catch_clause",
        "ternary_expression",
    }
)
_JS_SCOPES = {
    "class_declaration": "name",
    "class": "name",
    "abstract_class_declaration": "name",
}


_JS_CONDITIONS = frozenset(
    {"do_statement", "for_statement", "if_statement", "ternary_expression", "while_statement"}
)


def _js_like(*, typed: bool, condition_types: frozenset[str]) -> LanguageRules:
    return LanguageRules(
        ccn_tokens=CLIKE_CCN | {"??"},
        function_types=_JS_FUNCTIONS,
        condition_types=condition_types,
        anonymous_types=frozenset({"function_expression", "generator_function", "arrow_function"}),
        scope_types=_JS_SCOPES,
        # TypeScript also uses "?" for optional parameters and members
        ccn_token_parents={"?": frozenset({"ternary_expression"})} if typed else {},
        nesting_types=_JS_NESTING,
        label_types=frozenset({"statement_identifier"}),
    )


_C_NESTING = frozenset(
    {
        "if_statement",
        "for_statement",
        "while_statement",
        "do_statement",
        "switch_statement",
        "conditional_expression",
    }
)

RULES: dict[str, LanguageRules] = {
    "python": LanguageRules(
        ccn_tokens=frozenset(
            {"if", "elif", "for", "while", "except", "finally", "and", "or", "case"}
        ),
        function_types=frozenset({"function_definition", "lambda"}),
        condition_types=frozenset(
            {"elif_clause", "for_in_clause", "if_statement", "while_statement"}
        ),
        anonymous_types=frozenset({"lambda"}),
        scope_types={"class_definition": "name"},
        exit_tokens=frozenset({"return", "raise"}),
        bool_tokens=frozenset({"and", "or"}),
        nesting_types=frozenset(
            {
                "if_statement",
                "for_statement",
                "while_statement",
                "except_clause",
                "except_group_clause",
                "conditional_expression",
                "match_statement",
            }
        ),
        flat_types=frozenset({"elif_clause"}),
        # a loop's else is a branch too (SonarPython counts it like an if's else)
        else_parents=frozenset({"if_statement", "for_statement", "while_statement"}),
        jump_types=frozenset(),
    ),
    "javascript": _js_like(typed=False, condition_types=_JS_CONDITIONS),
    "typescript": _js_like(
        typed=True, condition_types=_JS_CONDITIONS | {"class_body", "method_definition"}
    ),
    "tsx": _js_like(typed=True, condition_types=_JS_CONDITIONS | {"class_body"}),
    "go": LanguageRules(
        ccn_tokens=CLIKE_CCN,
        function_types=frozenset({"function_declaration", "method_declaration", "func_literal"}),
        condition_types=frozenset({"for_clause", "if_statement"}),
        anonymous_types=frozenset({"func_literal"}),
        exit_tokens=frozenset({"return"}),
        nesting_types=frozenset(
            {
                "if_statement",
                "for_statement",
                "expression_switch_statement",
                "type_switch_statement",
                "select_statement",
            }
        ),
        flat_types=frozenset({"goto_statement"}),
        else_types=frozenset(),
        label_types=frozenset({"label_name"}),
    ),
    "java": LanguageRules(
        ccn_tokens=CLIKE_CCN,
        function_types=frozenset(
            {
                "method_declaration",
                "constructor_declaration",
                "compact_constructor_declaration",
                "lambda_expression",
            }
        ),
        condition_types=frozenset(
            {
                "do_statement",
                "for_statement",
                "if_statement",
                "switch_expression",
                "ternary_expression",
                "while_statement",
            }
        ),
        anonymous_types=frozenset({"lambda_expression"}),
        declaration_types=frozenset({"method_declaration"}),
        # "?" is also the generic wildcard (Class<?>), which lizard does not count
        ccn_token_parents={"?": frozenset({"ternary_expression"})},
        scope_types={
            "class_declaration": "name",
            "interface_declaration": "name",
            "enum_declaration": "name",
            "record_declaration": "name",
        },
        nesting_types=frozenset(
            {
                "if_statement",
                "for_statement",
                "enhanced_for_statement",
                "while_statement",
                "do_statement",
                "switch_expression",
                "catch_clause",
                "ternary_expression",
            }
        ),
        else_types=frozenset(),
        label_types=frozenset({"identifier"}),
        comment_types=frozenset({"line_comment", "block_comment"}),
    ),
    "c": LanguageRules(
        ccn_tokens=CLIKE_CCN | {"#if"},
        function_types=frozenset({"function_definition"}),
        condition_types=frozenset(
            {
                "conditional_expression",
                "declaration",
                "do_statement",
                "for_statement",
                "function_definition",
                "if_statement",
                "preproc_elif",
                "preproc_if",
                "sized_type_specifier",
                "switch_statement",
                "type_definition",
                "while_statement",
            }
        ),
        exit_tokens=frozenset({"return"}),
        nesting_types=_C_NESTING,
        flat_types=frozenset({"goto_statement"}),
    ),
    "cpp": LanguageRules(
        ccn_tokens=CLIKE_CCN | {"#if"},
        function_types=frozenset({"function_definition", "lambda_expression"}),
        condition_types=frozenset(
            {
                "abstract_function_declarator",
                "base_class_clause",
                "binary_expression",
                "compound_statement",
                "conditional_expression",
                "declaration",
                "do_statement",
                "field_declaration",
                "for_range_loop",
                "for_statement",
                "function_declarator",
                "function_definition",
                "if_statement",
                "preproc_elif",
                "preproc_if",
                "sized_type_specifier",
                "static_assert_declaration",
                "switch_statement",
                "template_argument_list",
                "type_definition",
                "while_statement",
            }
        ),
        anonymous_types=frozenset({"lambda_expression"}),
        scope_types={"class_specifier": "name", "struct_specifier": "name"},
        nesting_types=_C_NESTING | {"for_range_loop", "catch_clause"},
        flat_types=frozenset({"goto_statement"}),
    ),
    "csharp": LanguageRules(
        ccn_tokens=CLIKE_CCN | {"??"},
        function_types=frozenset(
            {
                "method_declaration",
                "constructor_declaration",
                "destructor_declaration",
                "operator_declaration",
                "conversion_operator_declaration",
                "local_function_statement",
                "lambda_expression",
                "anonymous_method_expression",
            }
        ),
        condition_types=frozenset(
            {
                "binary_expression",
                "conditional_access_expression",
                "conditional_expression",
                "do_statement",
                "element_access_expression",
                "for_statement",
                "if_statement",
                "implicit_parameter",
                "invocation_expression",
                "lambda_expression",
                "preproc_elif",
                "preproc_if",
                "preproc_if_in_attribute_list",
                "query_expression",
                "while_statement",
            }
        ),
        anonymous_types=frozenset({"lambda_expression", "anonymous_method_expression"}),
        declaration_types=frozenset({"method_declaration", "local_function_statement"}),
        scope_types={
            "class_declaration": "name",
            "struct_declaration": "name",
            "interface_declaration": "name",
            "record_declaration": "name",
        },
        nesting_types=frozenset(
            {
                "if_statement",
                "for_statement",
                "foreach_statement",
                "while_statement",
                "do_statement",
                "switch_statement",
                "switch_expression",
                "catch_clause",
                "conditional_expression",
            }
        ),
        flat_types=frozenset({"goto_statement"}),
        else_types=frozenset(),
    ),
    "rust": LanguageRules(
        ccn_tokens=frozenset({"if", "for", "while", "where", "&&", "||", "?", "else"}),
        function_types=frozenset({"function_item", "closure_expression"}),
        condition_types=frozenset(
            {
                "array_expression",
                "if_expression",
                "match_pattern",
                "token_tree",
                "while_expression",
            }
        ),
        anonymous_types=frozenset({"closure_expression"}),
        scope_types={"impl_item": "type", "trait_item": "name"},
        # lizard counts `let ... else`, not the else of an if
        ccn_token_parents={"else": frozenset({"let_declaration"})},
        ccn_arm_lists=frozenset({"match_block"}),
        exit_tokens=frozenset({"return"}),
        nesting_types=frozenset(
            {
                "if_expression",
                "for_expression",
                "while_expression",
                "loop_expression",
                "match_expression",
            }
        ),
        if_types=frozenset({"if_expression"}),
        else_parents=frozenset({"if_expression"}),
        jump_types=frozenset({"break_expression", "continue_expression"}),
        label_types=frozenset({"label"}),
        comment_types=frozenset({"line_comment", "block_comment"}),
    ),
    "ruby": LanguageRules(
        ccn_tokens=frozenset(
            {
                "if",
                "elsif",
                "until",
                "for",
                "while",
                "rescue",
                "ensure",
                "when",
                "and",
                "or",
                "&&",
                "||",
                "?",
            }
        ),
        function_types=frozenset({"method", "singleton_method", "lambda"}),
        condition_types=frozenset(
            {
                "array_pattern",
                "begin",
                "binary",
                "conditional",
                "element_reference",
                "elsif",
                "find_pattern",
                "if",
                "if_guard",
                "if_modifier",
                "singleton_method",
                "unary",
                "unless",
                "unless_guard",
                "unless_modifier",
                "until",
                "until_modifier",
                "while",
                "while_modifier",
            }
        ),
        anonymous_types=frozenset({"lambda"}),
        scope_types={"class": "name", "module": "name"},
        exit_tokens=frozenset({"return"}),
        bool_tokens=frozenset({"and", "or", "&&", "||"}),
        nesting_types=frozenset(
            {
                "if",
                "unless",
                "while",
                "until",
                "for",
                "case",
                "case_match",
                "rescue",
                "conditional",
                "if_modifier",
                "unless_modifier",
                "while_modifier",
                "until_modifier",
                "rescue_modifier",
            }
        ),
        if_types=frozenset({"if", "unless"}),
        flat_types=frozenset({"elsif"}),
        else_types=frozenset({"else"}),
        else_parents=frozenset({"if", "unless", "elsif"}),
        jump_types=frozenset(),
    ),
}
