"""Declared third-party dependencies from package manifests, with normalised package names.

Pure functions from a manifest's path and bytes to :class:`Dependency` records. A manifest
that cannot be read or parsed raises :class:`ManifestError`; callers report it and go on.

Normalisation per ecosystem: pypi names per PEP 503 (lower case, runs of ``-_.`` -> ``-``);
npm names lower case; crates lower case with ``_`` -> ``-``; maven ``group:artifact``;
go module paths as written; rubygems and nuget lower case.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class Dependency:
    name: str
    ecosystem: str  # pypi, npm, go, crates, maven, rubygems, nuget
    source: str  # manifest path relative to the repository, or "import"

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "ecosystem": self.ecosystem, "source": self.source}


class ManifestError(ValueError):
    """A manifest that is not valid for its format; the message names what is wrong."""


def normalise_name(name: str, ecosystem: str) -> str:
    name = name.strip()
    if ecosystem == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    if ecosystem == "crates":
        return name.lower().replace("_", "-")
    if ecosystem in ("npm", "rubygems", "nuget"):
        return name.lower()
    return name


def manifest_kind(path: str) -> str | None:
    """Which parser reads this file, or None when it is not a manifest bmad knows."""
    name = PurePosixPath(path).name
    lower = name.lower()
    if name in _BY_NAME:
        return name
    if lower.startswith("requirements") and lower.endswith((".txt", ".in")):
        return "requirements"
    if lower.endswith(".csproj"):
        return "csproj"
    return None


def parse_manifest(path: str, data: bytes) -> list[Dependency]:
    """Dependencies declared in one manifest; raises ManifestError when it is malformed."""
    kind = manifest_kind(path)
    if kind is None:
        raise ManifestError(f"not a known manifest: {PurePosixPath(path).name}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"not UTF-8 ({exc.reason})") from exc
    ecosystem, parse = _PARSERS[kind]
    names = {normalise_name(name, ecosystem) for name in parse(text)}
    return sorted(Dependency(name, ecosystem, path) for name in names if name)


# --- python -----------------------------------------------------------------------------------

_PEP508_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _requirement_name(spec: str) -> str | None:
    match = _PEP508_NAME.match(spec)
    return match.group(1) if match else None


def _load_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"invalid TOML: {exc}") from exc


def _table(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _pyproject(text: str) -> Iterator[str]:
    document = _load_toml(text)
    project = _table(document.get("project"))
    specs = _strings(project.get("dependencies"))
    for group in _table(project.get("optional-dependencies")).values():
        specs.extend(_strings(group))
    for group in _table(document.get("dependency-groups")).values():
        specs.extend(_strings(group))
    for spec in specs:
        name = _requirement_name(spec)
        if name:
            yield name
    poetry = _table(_table(document.get("tool")).get("poetry"))
    tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
    tables.extend(
        _table(group).get("dependencies") for group in _table(poetry.get("group")).values()
    )
    for table in tables:
        yield from (name for name in _table(table) if name.lower() != "python")


def _requirements(text: str) -> Iterator[str]:
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            egg = re.search(r"#egg=([A-Za-z0-9._-]+)", raw)
            if line.startswith(("-e", "--editable")) and egg:
                yield egg.group(1)
            continue
        if "://" in line or line.startswith((".", "/")):
            egg = re.search(r"#egg=([A-Za-z0-9._-]+)", raw)
            if egg:
                yield egg.group(1)
            elif "@" in line and "://" in line.split("@", 1)[1]:
                name = _requirement_name(line.split("@", 1)[0])
                if name:
                    yield name
            continue
        name = _requirement_name(line)
        if name:
            yield name


# --- javascript ------------------------------------------------------------------------------


def _package_json(text: str) -> Iterator[str]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"invalid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ManifestError("package.json must hold an object")
    for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        yield from _table(document.get(key))


# --- go ---------------------------------------------------------------------------------------


def go_mod_module(text: str) -> str | None:
    """The module path declared by a go.mod, or None."""
    match = re.search(r"^\s*module\s+\"?([^\s\"]+)\"?", text, re.MULTILINE)
    return match.group(1) if match else None


def _go_mod(text: str) -> Iterator[str]:
    if go_mod_module(text) is None:
        raise ManifestError("go.mod has no module directive")
    in_block = False
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip()
        if in_block:
            if line == ")":
                in_block = False
            elif line:
                yield line.split()[0].strip('"')
        elif re.match(r"^require\s*\($", line):
            in_block = True
        elif line.startswith("require "):
            yield line.split()[1].strip('"')


# --- rust -------------------------------------------------------------------------------------

_CARGO_SECTIONS = ("dependencies", "dev-dependencies", "build-dependencies")


def cargo_package_name(text: str) -> str | None:
    """The ``[package] name`` of a Cargo.toml (None for a virtual workspace manifest)."""
    name = _table(_load_toml(text).get("package")).get("name")
    return name if isinstance(name, str) else None


def _cargo_table_names(table: Mapping[str, Any]) -> Iterator[str]:
    for key, value in table.items():
        renamed = _table(value).get("package")
        yield renamed if isinstance(renamed, str) else key


def _cargo(text: str) -> Iterator[str]:
    document = _load_toml(text)
    scopes: list[Mapping[str, Any]] = [document, _table(document.get("workspace"))]
    scopes.extend(_table(target) for target in _table(document.get("target")).values())
    for scope in scopes:
        for section in _CARGO_SECTIONS:
            yield from _cargo_table_names(_table(scope.get(section)))


# --- jvm --------------------------------------------------------------------------------------


def _pom(text: str) -> Iterator[str]:
    # A pom.xml in the user's own repository; expat refuses external entities by default.
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError as exc:
        raise ManifestError(f"invalid XML: {exc}") from exc
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "dependency":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in element}
        group, artifact = fields.get("groupId", ""), fields.get("artifactId", "")
        if group and artifact:
            yield f"{group}:{artifact}"


_GRADLE_CONFIGS = (
    "implementation|api|compile|compileOnly|runtimeOnly|runtime|annotationProcessor|kapt|ksp|"
    "testImplementation|testCompileOnly|testRuntimeOnly|androidTestImplementation|"
    "debugImplementation|releaseImplementation|classpath"
)
_GRADLE_DEPENDENCY = re.compile(
    rf"\b(?:{_GRADLE_CONFIGS})\s*\(?\s*(?:platform\s*\(\s*)?['\"]([\w.\-]+):([\w.\-]+)(?::[^'\"]*)?['\"]"
)
_GRADLE_MAP_DEPENDENCY = re.compile(
    rf"\b(?:{_GRADLE_CONFIGS})\s*\(?\s*group\s*[:=]\s*['\"]([\w.\-]+)['\"]\s*,\s*"
    r"name\s*[:=]\s*['\"]([\w.\-]+)['\"]"
)


def _gradle(text: str) -> Iterator[str]:
    for pattern in (_GRADLE_DEPENDENCY, _GRADLE_MAP_DEPENDENCY):
        for match in pattern.finditer(text):
            yield f"{match.group(1)}:{match.group(2)}"


# --- ruby / .net ------------------------------------------------------------------------------

_GEM = re.compile(r"^\s*gem\s*\(?\s*['\"]([A-Za-z0-9._-]+)['\"]", re.MULTILINE)


def _gemfile(text: str) -> Iterator[str]:
    for match in _GEM.finditer(text):
        yield match.group(1)


def _csproj(text: str) -> Iterator[str]:
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError as exc:
        raise ManifestError(f"invalid XML: {exc}") from exc
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "PackageReference":
            name = element.get("Include") or element.get("Update")
            if name:
                yield name


_Parser = Callable[[str], Iterable[str]]
_PARSERS: dict[str, tuple[str, _Parser]] = {
    "pyproject.toml": ("pypi", _pyproject),
    "requirements": ("pypi", _requirements),
    "package.json": ("npm", _package_json),
    "go.mod": ("go", _go_mod),
    "Cargo.toml": ("crates", _cargo),
    "pom.xml": ("maven", _pom),
    "build.gradle": ("maven", _gradle),
    "build.gradle.kts": ("maven", _gradle),
    "Gemfile": ("rubygems", _gemfile),
    "csproj": ("nuget", _csproj),
}
_BY_NAME = frozenset(name for name in _PARSERS if "." in name or name == "Gemfile")
