"""Settings, merged in this order (later wins): defaults < user config < ``[tool.bmad]`` in the
repository's pyproject.toml < the repository's ``.bmad.toml`` < ``BMAD_<SECTION>__<KEY>``
environment variables < command-line flags (applied by the commands themselves).

Keys are dotted paths, e.g. ``scan.max_file_size``; environment variables spell them
``BMAD_SCAN__MAX_FILE_SIZE=2097152`` (values are read as TOML literals when they parse as one).
"""

from __future__ import annotations

import binascii
import contextlib
import json
import math
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from bmad import dirs
from bmad.errors import BmadError

ENV_PREFIX = "BMAD_"
# Environment values read without tomllib, exactly as TOML reads them. `bmad hook pre-commit`
# loads the settings on every commit, and importing tomllib costs a third of the load: it is
# imported only for a value or a changed file that needs it (dataclasses and copy not at all).
TOML_DECIMAL_INTEGER = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
TOML_BOOLEANS = {"true": True, "false": False}
# Files' readings by tomllib, kept as JSON beside the exact text they were read from, so that a
# config file or pyproject.toml that has not changed costs neither tomllib's import nor a parse.
PARSED_TOML_FOLDER = "parsed-toml"

DEFAULTS: dict[str, dict[str, Any]] = {
    "architecture": {
        # a hub has fan-in and fan-out both >= max(minimum, that percentile over all modules)
        "hub_min_ca": 5,
        "hub_min_ce": 5,
        "hub_percentile": 0.9,
        # ordered layers, highest first: globs, lists of globs or {name, paths} tables
        "layers": [],
        # shortest cycle per module is searched in cycles of at most this many modules
        "max_cycle_search": 2000,
    },
    "scan": {
        "max_file_size": 1024 * 1024,
        "jobs": 0,  # 0: one worker per CPU
    },
    "history": {
        # matched case-insensitively against commit subjects; a revert is never also a fix
        "fix_patterns": [
            r"\bfix(?:e[sd]|ing)?\b",
            r"\bbug(?:s|fix(?:es)?)?\b",
            r"\bhotfix(?:es)?\b",
            r"\bpatch(?:e[sd])?\b",
        ],
        "revert_patterns": [r"^revert\b"],
        "min_revs": 5,
        "min_shared_revs": 5,
        "min_coupling": 30,
        "max_coupling": 100,
        "max_changeset": 30,
        "island_share": 0.95,
        "inactive_months": 6,
        "max_files_per_commit": 5000,
        "jobs": 0,  # mining worker processes; 0: one per CPU
        "top": 10,
    },
    "privacy": {
        # budgets per period as "epsilon=E,delta=D"; charged in zCDP (rho) and converted
        "budget": "epsilon=1.0,delta=1e-5",  # per repository
        "organisation_budget": "epsilon=4.0,delta=1e-5",  # per participant, over its repos
        # over every period together (budgets above reset each period; these never do)
        "lifetime_budget": "epsilon=10.0,delta=1e-5",  # per repository
        "organisation_lifetime_budget": "epsilon=20.0,delta=1e-5",
        "period": "month",  # month, quarter, year or all
        "organisation": "local",  # this participant's name in the local ledger
        "mechanism": "gaussian",  # gaussian (zCDP) or laplace (pure DP)
        "release_rho": 0.002,  # zCDP cost of one release (gaussian)
        "release_epsilon": 0.1,  # epsilon of one release (laplace)
        "k_min_participants": 5,  # a released cell needs this many participants (noisy count)
        "max_round_epsilon": 2.0,  # the most one federation round may spend, whatever its rules
    },
    "daemon": {
        "poll_interval": 1.0,  # seconds between stat() polls of HEAD, refs and index
        "workers": 1,  # repositories mined at the same time
        "nice": 10,  # added to the mining threads (Linux) or the whole daemon (elsewhere)
        "batch_size": 64,  # files per transaction when mining code metrics
        "throttle_ms": 0,  # pause between two units of work, to leave the CPU to the user
        "backoff_base": 5.0,  # seconds before the first retry after an error; doubles each time
        "backoff_max": 600.0,
        "max_message_bytes": 4 * 1024 * 1024,
        "connection_timeout": 30.0,  # idle seconds before the server drops a connection
        "max_connections": 32,
        "log_max_bytes": 1024 * 1024,
        "log_backups": 3,
    },
    "rules": {  # named smells (bmad.analysis.rules); thresholds are inclusive unless "above"
        "complex_method_ccn": 9,
        "cognitive_complexity_above": 15,
        "deep_nesting": 4,
        "long_parameter_list": 5,
        "large_method_nloc": 70,
        "complex_conditional_operators": 3,  # boolean operators in one condition
        "hotspot_top_share": 0.1,  # top share of files by revisions x cognitive complexity
        "hotspot_min_revisions": 5,
        "coupling_degree": 50,  # change coupling between files in different folders
        # process and collaboration patterns (bmad.analysis.process_rules)
        "large_commit_files": 30,  # a commit touching this many files is very large
        "large_commits": 3,  # a file changed in this many very large commits
        "fix_chain_fixes": 3,  # fixes in a row on one file ...
        "fix_chain_days": 30,  # ... each within this many days of the last
        "reverts": 2,  # reverting commits touching one file
        "fragmented_min_authors": 4,
        "fragmentation_above": 0.75,  # 1 - sum of squared commit shares
        "minor_contributors": 3,  # authors under 5% of a file's commits each
        # bmad insights trends: a dependency or tool removed within this many months of being
        # added is an abandoned-dependency finding (a decision reverted)
        "abandoned_dependency_months": 6,
        "disabled": [],  # rule ids to skip
        "severity": {},  # rule id -> error | warning | note
    },
    "lsp": {  # the language server (bmad lsp); editors may override through their settings
        "enabled": True,
        "code_lens": True,
        "debounce_ms": 300,  # wait this long after the last change before analysing
        "max_file_bytes": 1024 * 1024,  # larger documents are not analysed
        "use_daemon": True,  # ask the daemon for stored findings when it runs
        "daemon_socket": "",  # empty: the default socket
    },
    "policy": {  # this organisation's own limits on the rounds it takes part in (consortium)
        "max_epsilon_per_round": 2.0,  # whatever the consortium rules allow
        "learning_types": [],  # the only learning types shared; empty: all the rules allow
        "min_organisations": 0,  # the fewest organisations a round must require; 0: rules' k
        "trusted_aggregators": [],  # aggregator key fingerprints; empty: the one pinned at join
    },
    "federation": {  # this machine's side of federated learning (bmad federation, daemon)
        "aggregator": "http://127.0.0.1:8750",  # used when `federation join/create` get none
        "request_timeout": 30.0,  # seconds per HTTP request to the aggregator
        "poll_interval": 0.5,  # seconds between two polls of a round in progress
        "round_timeout": 900.0,  # give up following a round after this many seconds
        "participate_interval": 60.0,  # daemon: seconds between two looks for open rounds
        "tls_verify": True,  # or the path of a CA bundle for a self-signed aggregator
    },
    "hooks": {  # git hooks (bmad hooks install, bmad hook pre-commit)
        "strict": False,  # true: the pre-commit hook fails the commit when something got worse
        "use_daemon": True,  # ask the running daemon to analyse (falls back to in-process)
        "daemon_timeout": 2.0,  # seconds per daemon request before analysing in-process
        "daemon_socket": "",  # empty: the default socket
        "rename_similarity": 0.6,  # a removed and an added function this alike are one, renamed
    },
    "analysis": {  # anomaly model (bmad.analysis.model) and path excludes
        "contamination": "auto",  # or a share in (0, 0.5]
        "random_state": 0,
        "n_estimators": 200,
        "min_family_functions": 200,  # fewer: the language family joins the pooled model
        "min_functions": 30,  # fewer in the repository: no anomaly model at all
        "min_anomaly_score": 0.6,  # a finding also needs a clearly short isolation path
        # what the anomaly model compares with: "local" (this repository), "global" (the
        # federation's synthetic population, when insights are cached) or "auto" (global
        # when cached insights are confident enough)
        "anomaly_reference": "auto",
        "exclude": [],  # glob patterns of repository paths left out of the analysis
    },
}


class Config(NamedTuple):
    """The merged settings and where they came from."""

    values: dict[str, dict[str, Any]]
    sources: tuple[str, ...]

    def get(self, dotted_key: str) -> Any:
        section, _, key = dotted_key.partition(".")
        try:
            return self.values[section][key]
        except KeyError:
            raise BmadError(f"unknown setting {dotted_key!r}") from None

    def section(self, name: str) -> dict[str, Any]:
        return dict(self.values.get(name, {}))

    def integer(self, dotted_key: str, minimum: int) -> int:
        """The setting as an integer >= ``minimum`` (a configuration error otherwise)."""
        section, _, key = dotted_key.partition(".")
        self.get(dotted_key)
        return require_int(section, self.values[section], key, minimum)


def require_int(section: str, table: Mapping[str, Any], key: str, minimum: int) -> int:
    """``table[key]`` of ``[section]`` as an integer >= ``minimum``. A wrong type or range (a
    config file or ``BMAD_*`` variable saying ``jobs = "many"``) is a configuration error that
    names the setting, never a traceback."""
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BmadError(f"[{section}] {key} must be an integer >= {minimum}, got {value!r}")
    return value


def _is_number(value: object) -> bool:
    """An int or float; TOML's true/false are bools, which Python counts as ints."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def require_number(
    section: str, table: Mapping[str, Any], key: str, low: float, high: float
) -> float:
    """``table[key]`` of ``[section]`` as a number in [``low``, ``high``]."""
    value = table[key]
    if not (_is_number(value) and low <= value <= high):
        raise BmadError(f"[{section}] {key} must be a number in [{low:g}, {high:g}], got {value!r}")
    return float(value)


def require_positive(section: str, table: Mapping[str, Any], key: str) -> float:
    """``table[key]`` of ``[section]`` as a finite number > 0."""
    value = table[key]
    if not (_is_number(value) and value > 0 and math.isfinite(value)):
        raise BmadError(f"[{section}] {key} must be a positive number, got {value!r}")
    return float(value)


def require_strings(section: str, table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """``table[key]`` of ``[section]`` as a list of strings (a bare string is refused: it would
    be read as a list of its characters)."""
    value = table[key]
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise BmadError(f"[{section}] {key} must be a list of strings, got {value!r}")
    return tuple(value)


def user_config_path() -> Path:
    explicit = os.environ.get("BMAD_CONFIG")
    if explicit:
        return Path(explicit)
    home = os.environ.get("BMAD_HOME")
    if home:
        return Path(home) / "config.toml"
    return dirs.user_dir("user_config_dir") / "config.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise BmadError(f"cannot read configuration {path}: {exc}") from exc
    text = data.decode()
    remembered = _remembered_toml(path, text)
    if remembered is not None:
        return remembered
    import tomllib

    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BmadError(f"cannot read configuration {path}: {exc}") from exc
    _remember_toml(path, text, parsed)
    return parsed


def _parsed_toml_entry(path: Path) -> Path:
    name = f"{binascii.crc32(str(path).encode('utf-8', 'surrogateescape')):08x}.json"
    return dirs.cache_dir() / PARSED_TOML_FOLDER / name


def _remembered_toml(path: Path, text: str) -> dict[str, Any] | None:
    """What tomllib read from ``path`` last time, if the file still holds exactly that text."""
    try:
        entry = json.loads(_parsed_toml_entry(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or a torn or foreign file: parse again
        return None
    if not isinstance(entry, dict) or entry.get("path") != str(path) or entry.get("text") != text:
        return None
    parsed = entry.get("parsed")
    return parsed if isinstance(parsed, dict) else None


def _remember_toml(path: Path, text: str, parsed: dict[str, Any]) -> None:
    """Keep tomllib's reading for the next process; a document JSON cannot hold as TOML read
    it (dates and times) or a cache that cannot be written just costs a parse next time."""
    try:
        document = json.dumps({"path": str(path), "text": text, "parsed": parsed})
    except (TypeError, ValueError):
        return
    entry = _parsed_toml_entry(path)
    partial = entry.with_name(f"{entry.name}.{os.getpid()}.{threading.get_ident()}")
    with contextlib.suppress(OSError):
        dirs.ensure_private_dir(entry.parent)
        partial.write_text(document, encoding="utf-8")
        os.replace(partial, entry)


def _copied(value: Any) -> Any:
    """A deep copy of a TOML value (tables and arrays are the only mutable ones)."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def _merge(base: dict[str, dict[str, Any]], overlay: Mapping[str, Any], origin: str) -> None:
    for section, table in overlay.items():
        if not isinstance(table, Mapping):
            raise BmadError(f"{origin}: [{section}] must be a table")
        merged = base.setdefault(section, {})
        for key, value in table.items():
            merged[key] = _copied(value)


def _parse_env_value(raw: str) -> Any:
    """``raw`` as a TOML literal, or the string itself when it is none."""
    if raw in TOML_BOOLEANS:
        return TOML_BOOLEANS[raw]
    if TOML_DECIMAL_INTEGER.fullmatch(raw):
        return int(raw)
    import tomllib

    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    overrides: dict[str, dict[str, Any]] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].partition("__")
        overrides.setdefault(section.lower(), {})[key.lower()] = _parse_env_value(raw)
    return overrides


def load(root: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Merge every source for a repository (or work tree) rooted at ``root``."""
    values: dict[str, dict[str, Any]] = _copied(DEFAULTS)
    sources = ["defaults"]
    layers: list[tuple[str, Mapping[str, Any]]] = []
    user_path = user_config_path()
    layers.append((str(user_path), _read_toml(user_path)))
    if root is not None:
        pyproject = root / "pyproject.toml"
        tool_table = _read_toml(pyproject).get("tool", {}).get("bmad", {})
        layers.append((f"{pyproject} [tool.bmad]", tool_table))
        dotfile = root / ".bmad.toml"
        layers.append((str(dotfile), _read_toml(dotfile)))
    layers.append(("environment", _env_overrides(os.environ if environ is None else environ)))
    for origin, layer in layers:
        if layer:
            _merge(values, layer, origin)
            sources.append(origin)
    return Config(values=values, sources=tuple(sources))
