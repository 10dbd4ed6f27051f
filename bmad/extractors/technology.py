"""Which dependencies, languages and tools the files of one revision show (pure).

A technology is named by a key ``kind:name``: ``dependency:pypi:requests`` (ecosystem and the
manifest's normalised name), ``language:python`` (a language bmad analyses, present while at
least one file of it is), ``tool:ruff`` (CI services, linters, formatters, type checkers, build
backends, bots, containers). Tools come from configuration files (``.github/workflows``,
``.pre-commit-config.yaml`` and its hook ids, tool sections of ``pyproject.toml``,
``setup.cfg`` and ``tox.ini``, ``.eslintrc``, ``Dockerfile``, ...) and from the tool packages a
manifest declares (``package.json`` devDependencies such as eslint or prettier, ``ruff`` in a
Python dependency group): a known tool package counts as the tool, not as a dependency.

Every file is read through :func:`file_kind` (which parser, by path only, so that history
mining can skip other files without reading them) and :func:`technologies_in_file` (from the
bytes of that kind). ``TECHNOLOGY_VERSION`` changes whenever what a file yields changes.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bmad.extractors.languages import language_for_path
from bmad.extractors.manifests import ManifestError, manifest_kind, parse_manifest

TECHNOLOGY_VERSION = 1
KINDS: tuple[str, ...] = ("dependency", "language", "tool")

# tool name -> category; migrations pair technologies of one category
TOOL_CATEGORIES: dict[str, str] = {
    "github-actions": "ci",
    "gitlab-ci": "ci",
    "travis-ci": "ci",
    "circleci": "ci",
    "jenkins": "ci",
    "azure-pipelines": "ci",
    "appveyor": "ci",
    "bitbucket-pipelines": "ci",
    "drone": "ci",
    "flake8": "python-lint",
    "pylint": "python-lint",
    "ruff": "python-lint",
    "black": "python-format",
    "yapf": "python-format",
    "autopep8": "python-format",
    "isort": "python-imports",
    "mypy": "python-types",
    "pyright": "python-types",
    "pytest": "python-tests",
    "nose": "python-tests",
    "tox": "python-envs",
    "nox": "python-envs",
    "setuptools": "python-build",
    "poetry": "python-build",
    "hatch": "python-build",
    "flit": "python-build",
    "pdm": "python-build",
    "maturin": "python-build",
    "coverage": "coverage",
    "pre-commit": "hooks",
    "husky": "hooks",
    "eslint": "js-lint",
    "tslint": "js-lint",
    "prettier": "js-format",
    "typescript": "js-types",
    "webpack": "js-bundler",
    "vite": "js-bundler",
    "rollup": "js-bundler",
    "parcel": "js-bundler",
    "babel": "js-compiler",
    "golangci-lint": "go-lint",
    "rustfmt": "rust-format",
    "clippy": "rust-lint",
    "rubocop": "ruby-lint",
    "clang-format": "c-format",
    "cmake": "c-build",
    "docker": "container",
    "docker-compose": "container",
    "dependabot": "dependency-bot",
    "renovate": "dependency-bot",
    "editorconfig": "editor",
}

# (ecosystem, normalised package name) -> tool
TOOL_PACKAGES: dict[tuple[str, str], str] = {
    **{
        ("pypi", name): name
        for name in (
            "flake8",
            "pylint",
            "ruff",
            "black",
            "yapf",
            "autopep8",
            "isort",
            "mypy",
            "pyright",
            "pytest",
            "nose",
            "tox",
            "nox",
            "coverage",
            "pre-commit",
        )
    },
    ("pypi", "pytest-cov"): "coverage",
    **{
        ("npm", name): name
        for name in (
            "eslint",
            "tslint",
            "prettier",
            "typescript",
            "webpack",
            "vite",
            "rollup",
            "parcel",
            "husky",
        )
    },
    ("npm", "@babel/core"): "babel",
    ("npm", "babel-core"): "babel",
}

# pre-commit hook ids -> tool
PRE_COMMIT_HOOKS: dict[str, str] = {
    "ruff": "ruff",
    "ruff-check": "ruff",
    "ruff-format": "ruff",
    "black": "black",
    "isort": "isort",
    "flake8": "flake8",
    "pylint": "pylint",
    "mypy": "mypy",
    "pyright": "pyright",
    "prettier": "prettier",
    "eslint": "eslint",
    "yapf": "yapf",
    "autopep8": "autopep8",
    "clang-format": "clang-format",
    "rubocop": "rubocop",
    "golangci-lint": "golangci-lint",
}

# tool sections ([tool.X] in pyproject.toml, [X] in setup.cfg / tox.ini) -> tool
TOOL_SECTIONS: dict[str, str] = {
    "ruff": "ruff",
    "black": "black",
    "isort": "isort",
    "mypy": "mypy",
    "pyright": "pyright",
    "pylint": "pylint",
    "flake8": "flake8",
    "pytest": "pytest",
    "tool:pytest": "pytest",
    "coverage": "coverage",
    "poetry": "poetry",
    "hatch": "hatch",
    "pdm": "pdm",
    "tox": "tox",
    "yapf": "yapf",
}

BUILD_BACKENDS: dict[str, str] = {
    "setuptools": "setuptools",
    "poetry": "poetry",
    "hatchling": "hatch",
    "flit_core": "flit",
    "pdm": "pdm",
    "maturin": "maturin",
}

# exact file names (lower case) that show a tool by being there
TOOL_FILES: dict[str, str] = {
    ".gitlab-ci.yml": "gitlab-ci",
    ".travis.yml": "travis-ci",
    "jenkinsfile": "jenkins",
    "azure-pipelines.yml": "azure-pipelines",
    "appveyor.yml": "appveyor",
    ".appveyor.yml": "appveyor",
    "bitbucket-pipelines.yml": "bitbucket-pipelines",
    ".drone.yml": "drone",
    ".flake8": "flake8",
    "mypy.ini": "mypy",
    ".mypy.ini": "mypy",
    "pyrightconfig.json": "pyright",
    "ruff.toml": "ruff",
    ".ruff.toml": "ruff",
    ".pylintrc": "pylint",
    "pylintrc": "pylint",
    ".isort.cfg": "isort",
    "pytest.ini": "pytest",
    "noxfile.py": "nox",
    ".coveragerc": "coverage",
    "tsconfig.json": "typescript",
    ".golangci.yml": "golangci-lint",
    ".golangci.yaml": "golangci-lint",
    "rustfmt.toml": "rustfmt",
    ".rustfmt.toml": "rustfmt",
    "clippy.toml": "clippy",
    ".rubocop.yml": "rubocop",
    ".clang-format": "clang-format",
    "cmakelists.txt": "cmake",
    "dockerfile": "docker",
    "docker-compose.yml": "docker-compose",
    "docker-compose.yaml": "docker-compose",
    "compose.yml": "docker-compose",
    "compose.yaml": "docker-compose",
    "renovate.json": "renovate",
    ".renovaterc": "renovate",
    ".renovaterc.json": "renovate",
    ".editorconfig": "editorconfig",
    "tslint.json": "tslint",
    ".babelrc": "babel",
}
# file name prefixes (lower case) that show a tool: .eslintrc.json, webpack.config.js, ...
TOOL_FILE_PREFIXES: tuple[tuple[str, str], ...] = (
    (".eslintrc", "eslint"),
    ("eslint.config.", "eslint"),
    (".prettierrc", "prettier"),
    ("prettier.config.", "prettier"),
    ("webpack.config.", "webpack"),
    ("vite.config.", "vite"),
    ("rollup.config.", "rollup"),
    ("babel.config.", "babel"),
)

# file kinds besides the manifests' (whose kinds are bmad.extractors.manifests')
PRE_COMMIT = "pre-commit-config"
SETUP_CFG = "setup.cfg"
TOX_INI = "tox.ini"
GITHUB_WORKFLOW = "github-workflow"
DEPENDABOT = "dependabot"
CIRCLECI = "circleci"
TOOL_FILE = "tool-file:"  # followed by the tool's name


@dataclass(frozen=True, slots=True, order=True)
class Technology:
    kind: str  # dependency, language or tool
    name: str  # "pypi:requests" for a dependency

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def category(self) -> str:
        """What it could be replaced by: the ecosystem, "language", or the tool's job."""
        if self.kind == "dependency":
            return self.name.split(":", 1)[0]
        if self.kind == "language":
            return "language"
        return TOOL_CATEGORIES.get(self.name, "tool")

    @classmethod
    def from_key(cls, key: str) -> Technology:
        kind, _, name = key.partition(":")
        if kind not in KINDS or not name:
            raise ValueError(f"not a technology key: {key!r}")
        return cls(kind, name)


@dataclass(frozen=True, slots=True)
class FileTechnologies:
    technologies: frozenset[Technology]
    problem: str | None = None  # why the file could not be read (it then shows only its tool)


def tool(name: str) -> Technology:
    return Technology("tool", name)


def language(name: str) -> Technology:
    return Technology("language", name)


@lru_cache(maxsize=1 << 16)
def file_kind(path: str) -> str | None:
    """How a file shows technologies, from its path alone; None for any other file.

    Cached: history mining asks about the same paths in commit after commit."""
    parts = tuple(part for part in path.split("/") if part)
    manifest = manifest_kind(parts[-1]) if parts else None
    if manifest is not None:
        return manifest
    name = parts[-1].lower() if parts else ""
    if name in (".pre-commit-config.yaml", ".pre-commit-config.yml"):
        return PRE_COMMIT
    if name == "setup.cfg":
        return SETUP_CFG
    if name == "tox.ini":
        return TOX_INI
    if len(parts) >= 3 and parts[-3:-1] == (".github", "workflows"):
        return GITHUB_WORKFLOW if name.endswith((".yml", ".yaml")) else None
    if len(parts) >= 2 and parts[-2] == ".github" and name in ("dependabot.yml", "dependabot.yaml"):
        return DEPENDABOT
    if len(parts) >= 2 and parts[-2] == ".circleci" and name in ("config.yml", "config.yaml"):
        return CIRCLECI
    if name in TOOL_FILES:
        return TOOL_FILE + TOOL_FILES[name]
    if name.startswith("dockerfile") or name.endswith(".dockerfile"):
        return TOOL_FILE + "docker"
    for prefix, found in TOOL_FILE_PREFIXES:
        if name.startswith(prefix):
            return TOOL_FILE + found
    return None


def technologies_in_file(path: str, data: bytes) -> FileTechnologies:
    """The technologies one file of kind ``file_kind(path)`` shows (empty for other files)."""
    kind = file_kind(path)
    if kind is None:
        return FileTechnologies(frozenset())
    if kind.startswith(TOOL_FILE):
        return FileTechnologies(frozenset({tool(kind.removeprefix(TOOL_FILE))}))
    fixed = {
        GITHUB_WORKFLOW: "github-actions",
        DEPENDABOT: "dependabot",
        CIRCLECI: "circleci",
    }
    if kind in fixed:
        return FileTechnologies(frozenset({tool(fixed[kind])}))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return FileTechnologies(_file_tool(kind), f"not UTF-8 ({exc.reason})")
    try:
        if kind == PRE_COMMIT:
            return FileTechnologies(_pre_commit(text))
        if kind in (SETUP_CFG, TOX_INI):
            return FileTechnologies(_ini_sections(text, kind))
        found = set(_manifest_technologies(path, data))
        if kind == "pyproject.toml":
            found |= _pyproject_tools(text)
        return FileTechnologies(frozenset(found))
    except (ManifestError, configparser.Error, tomllib.TOMLDecodeError) as exc:
        return FileTechnologies(_file_tool(kind), str(exc).splitlines()[0][:200])


def _file_tool(kind: str) -> frozenset[Technology]:
    """What a file shows by being there, when its content cannot be read."""
    by_kind = {PRE_COMMIT: "pre-commit", TOX_INI: "tox"}
    return frozenset({tool(by_kind[kind])}) if kind in by_kind else frozenset()


def _manifest_technologies(path: str, data: bytes) -> Iterable[Technology]:
    for dependency in parse_manifest(path, data):
        found = TOOL_PACKAGES.get((dependency.ecosystem, dependency.name))
        if found is not None:
            yield tool(found)
        else:
            yield Technology("dependency", f"{dependency.ecosystem}:{dependency.name}")


_HOOK_ID = re.compile(r"^\s*-?\s*id:\s*['\"]?([A-Za-z0-9_.-]+)", re.MULTILINE)


def _pre_commit(text: str) -> frozenset[Technology]:
    found = {tool("pre-commit")}
    for match in _HOOK_ID.finditer(text):
        hook = PRE_COMMIT_HOOKS.get(match.group(1).lower())
        if hook is not None:
            found.add(tool(hook))
    return frozenset(found)


def _ini_sections(text: str, kind: str) -> frozenset[Technology]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    found = {tool("tox")} if kind == TOX_INI else set()
    for section in parser.sections():
        name = section.lower()
        if name in TOOL_SECTIONS:
            found.add(tool(TOOL_SECTIONS[name]))
        elif name.startswith(("mypy-", "mypy:")):
            found.add(tool("mypy"))
        elif name.startswith("coverage:"):
            found.add(tool("coverage"))
    return frozenset(found)


def _pyproject_tools(text: str) -> set[Technology]:
    document: Mapping[str, Any] = tomllib.loads(text)
    found: set[Technology] = set()
    tools = document.get("tool")
    if isinstance(tools, Mapping):
        found.update(tool(TOOL_SECTIONS[name]) for name in tools if name in TOOL_SECTIONS)
    build = document.get("build-system")
    backend = build.get("build-backend") if isinstance(build, Mapping) else None
    if isinstance(backend, str):
        package = backend.split(".", 1)[0]
        if package in BUILD_BACKENDS:
            found.add(tool(BUILD_BACKENDS[package]))
    return found


@lru_cache(maxsize=1 << 16)
def path_language(path: str) -> str | None:
    """``language_for_path``, cached for history mining."""
    return language_for_path(path)


def languages_of(paths: Iterable[str]) -> dict[str, int]:
    """Files per analysed language among ``paths``."""
    counts: dict[str, int] = {}
    for path in paths:
        found = language_for_path(path)
        if found is not None:
            counts[found] = counts.get(found, 0) + 1
    return counts


def revision_technologies(
    files: Mapping[str, FileTechnologies], language_files: Mapping[str, int]
) -> frozenset[Technology]:
    """Everything one revision shows: its technology files' findings and its languages."""
    found: set[Technology] = set()
    for technologies in files.values():
        found |= technologies.technologies
    found.update(language(name) for name, count in language_files.items() if count > 0)
    return frozenset(found)
