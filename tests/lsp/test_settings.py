"""The editor's settings object: Neovim's empty tables arrive as JSON lists."""

from __future__ import annotations

from bmad.lsp.settings import LspSettings, RuleOverrides, parse_settings


def test_empty_lists_where_objects_are_expected_count_as_empty_objects() -> None:
    raw = {"codeLens": False, "daemon": [], "rules": {"severity": [], "thresholds": []}}
    settings, problems = parse_settings(raw)
    assert problems == []
    assert settings.code_lens is False
    assert settings.rules == RuleOverrides()


def test_an_empty_list_for_the_whole_section_is_no_setting() -> None:
    assert parse_settings([]) == (LspSettings(), [])


def test_a_list_with_items_is_still_no_object() -> None:
    settings, problems = parse_settings({"rules": {"severity": ["complex-method"]}})
    assert problems == ["rules.severity must be an object, got ['complex-method']"]
    assert settings.rules.severity == {}
    assert parse_settings([1])[1] == ["the bmad settings must be an object, got [1]"]
