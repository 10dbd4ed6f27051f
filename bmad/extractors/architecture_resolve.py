"""Resolve the imports of a repository's files to modules of the same repository.

Pure: it works on the files' paths and :class:`ImportRef` lists plus the contents of the
project files that steer resolution (go.mod, tsconfig/jsconfig, Cargo.toml, manifests).

A module is a file, except in Go where it is the package directory. Each import gets one
:class:`Resolution`: ``internal`` (with the target modules), ``external`` (a third-party
package, normalised), ``stdlib`` (the language's standard library or system headers),
``unresolved`` (relative/in-repo-looking but no file, dynamic, conditional, computed) or
``namespace`` (a C# ``using`` of a namespace declared in the repository: no file edge).
Nothing is guessed: a relative import whose file does not exist stays unresolved.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from bmad.extractors.manifests import (
    ManifestError,
    cargo_package_name,
    go_mod_module,
    normalise_name,
    parse_manifest,
)
from bmad.extractors.metrics import ImportRef

INTERNAL = "internal"
EXTERNAL = "external"
STDLIB = "stdlib"
UNRESOLVED = "unresolved"
NAMESPACE = "namespace"

PY_SUFFIXES = (".py", ".pyi")
JS_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})
JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
NODE_BUILTINS = frozenset(
    [
        "assert",
        "async_hooks",
        "buffer",
        "child_process",
        "cluster",
        "console",
        "constants",
        "crypto",
        "dgram",
        "diagnostics_channel",
        "dns",
        "domain",
        "events",
        "fs",
        "http",
        "http2",
        "https",
        "inspector",
        "module",
        "net",
        "os",
        "path",
        "perf_hooks",
        "process",
        "punycode",
        "querystring",
        "readline",
        "repl",
        "stream",
        "string_decoder",
        "sys",
        "test",
        "timers",
        "tls",
        "trace_events",
        "tty",
        "url",
        "util",
        "v8",
        "vm",
        "wasi",
        "worker_threads",
        "zlib",
    ]
)
RUST_STDLIB = frozenset({"std", "core", "alloc", "proc_macro", "test"})
JAVA_STDLIB_PREFIXES = ("java.", "javax.", "jdk.", "sun.", "com.sun.", "org.w3c.", "org.xml.")
CSHARP_STDLIB_PREFIXES = ("System", "Microsoft")
PROJECT_FILE_NAMES = frozenset({"go.mod", "Cargo.toml", "tsconfig.json", "jsconfig.json"})


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # relative posix path
    language: str
    imports: tuple[ImportRef, ...]


@dataclass(frozen=True, slots=True)
class Resolution:
    status: str  # INTERNAL, EXTERNAL, STDLIB, UNRESOLVED, NAMESPACE
    targets: tuple[str, ...] = ()  # module ids for INTERNAL
    package: str = ""  # normalised package name for EXTERNAL
    ecosystem: str = ""


@dataclass(frozen=True, slots=True)
class ResolvedImport:
    source: str  # module id of the importing file
    path: str  # the importing file
    ref: ImportRef
    resolution: Resolution


@dataclass
class ProjectFiles:
    """What the resolver learns from go.mod, tsconfig/jsconfig, Cargo.toml, pyproject.toml
    and the other manifests."""

    go_modules: dict[str, str] = field(default_factory=dict)  # dir -> module path
    go_requires: list[str] = field(default_factory=list)
    ts_configs: dict[str, TsConfig] = field(default_factory=dict)  # dir -> config
    crates: dict[str, str] = field(default_factory=dict)  # Cargo.toml dir -> crate name (_)
    maven_groups: list[str] = field(default_factory=list)
    nuget_packages: list[str] = field(default_factory=list)
    python_projects: list[str] = field(default_factory=list)  # dirs holding a pyproject.toml
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


@dataclass(frozen=True, slots=True)
class TsConfig:
    base_url: str | None  # repo-relative directory
    paths: tuple[tuple[str, tuple[str, ...]], ...]  # pattern -> substitutions (repo-relative)
    root: str  # directory the paths are relative to


def _dir(path: str) -> str:
    parent = posixpath.dirname(path)
    return parent


def _join(*parts: str) -> str:
    joined = posixpath.normpath(posixpath.join(*parts)) if any(parts) else ""
    return "" if joined == "." else joined


# --- JSONC (tsconfig) --------------------------------------------------------------------------

_JSONC_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.DOTALL)


def parse_jsonc(text: str) -> Any:
    """JSON with comments and trailing commas, as tsconfig.json allows."""
    import json

    def keep_strings(match: re.Match[str]) -> str:
        token = match.group(0)
        return token if token.startswith('"') else ""

    return json.loads(_JSONC_TOKEN.sub(keep_strings, text))


def _ts_compiler_options(
    path: str, contents: Mapping[str, bytes], depth: int = 0
) -> tuple[dict[str, Any], str]:
    """compilerOptions of a tsconfig with its relative ``extends`` chain merged in; the dir
    that its own baseUrl/paths are relative to comes back with it."""
    document = parse_jsonc(contents[path].decode("utf-8-sig"))
    if not isinstance(document, dict):
        raise ValueError("tsconfig must hold an object")
    options = document.get("compilerOptions") or {}
    if not isinstance(options, dict):
        raise ValueError("compilerOptions must be an object")
    merged: dict[str, Any] = {}
    origin = _dir(path)
    extends = document.get("extends")
    if isinstance(extends, str) and extends.startswith(".") and depth < 8:
        base = _join(_dir(path), extends)
        if not base.endswith(".json"):
            base += ".json"
        if base in contents:
            merged, origin = _ts_compiler_options(base, contents, depth + 1)
    if "baseUrl" in options or "paths" in options:
        origin = _dir(path)
    merged.update(options)
    return merged, origin


def _ts_config(path: str, contents: Mapping[str, bytes]) -> TsConfig:
    options, origin = _ts_compiler_options(path, contents)
    base_url = options.get("baseUrl")
    base = _join(origin, base_url) if isinstance(base_url, str) else None
    root = base if base is not None else origin
    raw_paths = options.get("paths") or {}
    paths: list[tuple[str, tuple[str, ...]]] = []
    if isinstance(raw_paths, dict):
        for pattern, substitutions in raw_paths.items():
            if isinstance(substitutions, list):
                subs = tuple(s for s in substitutions if isinstance(s, str))
                paths.append((pattern, subs))
    return TsConfig(base, tuple(paths), root)


def read_project_files(contents: Mapping[str, bytes]) -> ProjectFiles:
    """Learn module paths, tsconfig mappings and crate names from the repo's project files.

    ``contents`` maps repo-relative paths to bytes (go.mod, Cargo.toml, tsconfig*.json,
    jsconfig.json and the manifests). Malformed files are recorded in ``errors`` and skipped.
    """
    project = ProjectFiles()
    for path in sorted(contents):
        name = PurePosixPath(path).name
        try:
            text = contents[path].decode("utf-8-sig")
            if name == "go.mod":
                module = go_mod_module(text)
                if module is None:
                    raise ManifestError("go.mod has no module directive")
                project.go_modules[_dir(path)] = module
                project.go_requires.extend(d.name for d in parse_manifest(path, contents[path]))
            elif name == "Cargo.toml":
                crate = cargo_package_name(text)
                if crate is not None:
                    project.crates[_dir(path)] = crate.replace("-", "_")
            elif name == "pyproject.toml":
                project.python_projects.append(_dir(path))
            elif name in ("tsconfig.json", "jsconfig.json"):
                project.ts_configs[_dir(path)] = _ts_config(path, contents)
            elif name in ("pom.xml", "build.gradle", "build.gradle.kts"):
                groups = (d.name.split(":", 1)[0] for d in parse_manifest(path, contents[path]))
                project.maven_groups.extend(groups)
            elif name.endswith(".csproj"):
                project.nuget_packages.extend(d.name for d in parse_manifest(path, contents[path]))
        except (ManifestError, ValueError, UnicodeDecodeError) as exc:
            project.errors.append((path, str(exc).splitlines()[0] if str(exc) else "malformed"))
    return project


def _is_dotted_identifier(name: str) -> bool:
    return all(part.isidentifier() for part in name.split("."))


def _ancestors_within_project(
    folder: PurePosixPath, project_roots: frozenset[str]
) -> list[PurePosixPath]:
    """``folder`` and the folders above it, up to (without) the nearest Python project root."""
    ancestors: list[PurePosixPath] = []
    for ancestor in (folder, *folder.parents):
        if str(ancestor) == "." or str(ancestor) in project_roots:
            break
        ancestors.append(ancestor)
    return ancestors


def _python_module_root(
    ancestors: list[PurePosixPath], package_dirs: frozenset[str]
) -> PurePosixPath | None:
    """The folder a Python file's dotted name counts from (the rule is :class:`Resolver`'s),
    or None for a script; ``ancestors`` come from :func:`_ancestors_within_project`."""
    packages = [depth for depth, folder in enumerate(ancestors) if str(folder) in package_dirs]
    above_packages = ancestors[packages[-1] + 1 :] if packages else ancestors
    source_root = next((folder for folder in above_packages if folder.name == "src"), None)
    if source_root is not None:
        return source_root
    return ancestors[packages[-1]].parent if packages else None


def _dotted_name(file: PurePosixPath, root: PurePosixPath) -> str:
    """``file``'s module name under ``root``, or "" when a part is no Python identifier (such a
    folder cannot be imported as a namespace package)."""
    parts = list(file.relative_to(root).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    name = ".".join(parts)
    return name if name and _is_dotted_identifier(name) else ""


# --- the resolver -----------------------------------------------------------------------------


class Resolver:
    """Indexes one repository's files once, then resolves each file's imports.

    A Python file is named by its path from its module root, looked for between the file and
    its project root (the nearest folder with a ``pyproject.toml`` or ``setup.py`` and no
    ``__init__.py``, else the repository root, so that a project embedded as test data or in
    a monorepo is named on its own), the first of:

    - the nearest folder named ``src`` above the file's outermost regular package (the highest
      folder with an ``__init__.py``), or above the file when it is in no regular package: a
      src layout is what goes on ``sys.path``, so the folders beneath it are packages, regular
      or implicit namespace ones (PEP 420): ``src/nspkg/sub/mod.py`` is ``nspkg.sub.mod``;
    - the folder holding the outermost regular package, whose folders without ``__init__.py``
      are namespace packages inside it: ``flask/sansio/app.py`` is ``flask.sansio.app``;
    - none: a file in no regular package and under no ``src`` folder is a script named by its
      stem (``tools/gen/build.py`` is ``build``), as Python sees it when run from its folder.

    A folder whose name is not an identifier cannot be imported, so a file beneath one keeps
    the name of its own chain of regular packages. Imports also resolve by the path from the
    repository root (and from a top-level ``src`` or ``lib``), and by that own-chain name
    unless the file sits in a namespace folder of a regular package.
    """

    def __init__(self, files: Iterable[SourceFile], project: ProjectFiles) -> None:
        self.files = {file.path: file for file in files}
        self.project = project
        self.paths = frozenset(self.files)
        self.module_ids = {
            path: _dir(path) if file.language == "go" else path for path, file in self.files.items()
        }
        self._python_cache: dict[tuple[str, str, tuple[str, ...], int], Resolution] = {}
        self.dirs_with_go = frozenset(
            _dir(path) for path, file in self.files.items() if file.language == "go"
        )
        self._index_python()
        self._index_java_and_csharp()
        self._index_rust()
        self._index_c()
        self.module_names = self._module_names()

    # -- module identity --

    def module_of(self, path: str) -> str:
        """The module id a file belongs to: itself, or its directory for Go."""
        return self.module_ids[path]

    def modules(self) -> dict[str, tuple[str, str]]:
        """module id -> (display name, language)."""
        result: dict[str, tuple[str, str]] = {}
        for path, file in sorted(self.files.items()):
            module = self.module_of(path)
            result.setdefault(module, (self.module_names[module], file.language))
        return result

    def _module_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for path, file in self.files.items():
            module = self.module_of(path)
            if module in names:
                continue
            name = path
            if file.language == "python":
                name = self.py_name.get(path, path)
            elif file.language == "java":
                name = self.java_name.get(path, path)
            elif file.language == "go":
                name = self._go_import_path(module) or module or "."
            elif file.language == "rust":
                name = self._rust_display_name(path)
            names[module] = name
        seen: dict[str, int] = defaultdict(int)
        for name in names.values():
            seen[name] += 1
        return {module: name if seen[name] == 1 else module for module, name in names.items()}

    # -- dispatch --

    def resolve_file(self, path: str) -> Iterator[ResolvedImport]:
        file = self.files[path]
        source = self.module_of(path)
        for ref in file.imports:
            if ref.kind in ("package", "namespace"):
                continue
            if ref.dynamic or (not ref.target and ref.level == 0):
                resolution = Resolution(UNRESOLVED)
            else:
                resolution = self._resolve(file, ref)
            if resolution.status == INTERNAL:
                resolution = Resolution(INTERNAL, tuple(dict.fromkeys(resolution.targets)))
            yield ResolvedImport(source, path, ref, resolution)

    def resolve_all(self) -> list[ResolvedImport]:
        return [item for path in sorted(self.files) for item in self.resolve_file(path)]

    def _resolve(self, file: SourceFile, ref: ImportRef) -> Resolution:
        language = file.language
        if language == "python":
            return self._python(file.path, ref)
        if language in JS_LANGUAGES:
            return self._javascript(file.path, ref)
        if language == "go":
            return self._go(ref)
        if language == "java":
            return self._java(ref)
        if language in ("c", "cpp"):
            return self._c(file.path, ref)
        if language == "rust":
            return self._rust(file.path, ref)
        if language == "ruby":
            return self._ruby(file.path, ref)
        if language == "csharp":
            return self._csharp(ref)
        return Resolution(UNRESOLVED)

    def _internal(self, targets: Iterable[str]) -> Resolution:
        modules = tuple(self.module_ids[path] for path in targets)
        return Resolution(INTERNAL, modules) if modules else Resolution(UNRESOLVED)

    # -- python --

    def _index_python(self) -> None:
        package_dirs = frozenset(
            _dir(path)
            for path in self.paths
            if PurePosixPath(path).name in ("__init__.py", "__init__.pyi")
        )
        project_roots = frozenset(
            folder
            for folder in {
                *self.project.python_projects,
                *(_dir(path) for path in self.paths if PurePosixPath(path).name == "setup.py"),
            }
            if folder not in package_dirs
        )
        self.py_modules: dict[str, str] = {}
        self.py_name: dict[str, str] = {}
        python = sorted(
            (path for path, f in self.files.items() if f.language == "python"),
            key=lambda p: (p.endswith(".pyi"), p.count("/"), p),
        )
        for path in python:
            pure = PurePosixPath(path)
            own = [] if pure.stem == "__init__" else [pure.stem]
            directory = pure.parent
            while str(directory) != "." and str(directory) in package_dirs:
                own.insert(0, directory.name)
                directory = directory.parent
            regular_chain_name = ".".join(own)
            ancestors = _ancestors_within_project(pure.parent, project_roots)
            root = _python_module_root(ancestors, package_dirs)
            dotted = _dotted_name(pure, root) if root is not None else ""
            candidates = [dotted]
            # Python never imports a file of a namespace folder inside a regular package by its
            # bare stem; elsewhere the stem keeps sibling scripts resolvable, as it always did.
            in_package_namespace = str(pure.parent) not in package_dirs and any(
                str(folder) in package_dirs for folder in ancestors
            )
            if not (dotted and in_package_namespace):
                candidates.append(regular_chain_name)
            relative = [*pure.parent.parts, *([] if pure.stem == "__init__" else [pure.stem])]
            candidates.append(".".join(relative))
            if relative[:1] in (["src"], ["lib"]):
                candidates.append(".".join(relative[1:]))
            for candidate in candidates:
                if candidate and _is_dotted_identifier(candidate):
                    self.py_modules.setdefault(candidate, path)
            self.py_name[path] = dotted or regular_chain_name or path

    def _py_file(self, parts: list[str]) -> str | None:
        base = "/".join(parts)
        for candidate in (
            *(base + suffix for suffix in PY_SUFFIXES),
            *(_join(base, "__init__" + suffix) for suffix in PY_SUFFIXES),
        ):
            if candidate in self.paths:
                return candidate
        return None

    def _python(self, path: str, ref: ImportRef) -> Resolution:
        """Memoised: an absolute import resolves the same from every file, a relative one the
        same from every file of a folder."""
        folder = _dir(path) if ref.level else ""
        key = (folder, ref.kind + ":" + ref.target, ref.names, ref.level)
        cached = self._python_cache.get(key)
        if cached is None:
            cached = self._python_cache[key] = self._python_uncached(folder, ref)
        return cached

    def _python_uncached(self, folder: str, ref: ImportRef) -> Resolution:
        names = [name for name in ref.names if name != "*"] if ref.kind == "from" else []
        if ref.level:
            base = folder.split("/") if folder else []
            if ref.level - 1 > len(base):
                return Resolution(UNRESOLVED)
            base = base[: len(base) - (ref.level - 1)]
            module = [*base, *(ref.target.split(".") if ref.target else [])]
            found = [self._py_file([*module, name]) for name in names]
            targets = [target for target in found if target]
            if len(targets) < len(names) or not names:
                package = self._py_file(module)
                if package is not None:
                    targets.append(package)
            return self._internal(targets)
        parts = ref.target.split(".")
        targets = []
        for name in names:
            submodule = self.py_modules.get(".".join([*parts, name]))
            if submodule:
                targets.append(submodule)
        if len(targets) < len(names) or not names:
            for end in range(len(parts), 0, -1):
                hit = self.py_modules.get(".".join(parts[:end]))
                if hit:
                    targets.append(hit)
                    break
        if targets:
            return self._internal(targets)
        top = parts[0]
        if top in sys.stdlib_module_names or top == "__future__":
            return Resolution(STDLIB)
        return Resolution(EXTERNAL, package=normalise_name(top, "pypi"), ecosystem="pypi")

    # -- javascript / typescript --

    def _js_probe(self, base: str) -> str | None:
        if base in self.paths:
            return base
        stem, extension = posixpath.splitext(base)
        if extension in (".js", ".jsx", ".mjs", ".cjs"):
            swapped = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",)}
            for replacement in swapped.get(extension, (".cts",)):
                if stem + replacement in self.paths:
                    return stem + replacement
        for suffix in JS_EXTENSIONS:
            if base + suffix in self.paths:
                return base + suffix
        for suffix in JS_EXTENSIONS:
            candidate = _join(base, "index" + suffix)
            if candidate in self.paths:
                return candidate
        return None

    def _ts_config_for(self, path: str) -> TsConfig | None:
        directory = _dir(path)
        while True:
            config = self.project.ts_configs.get(directory)
            if config is not None:
                return config
            if not directory:
                return None
            directory = _dir(directory)

    def _javascript(self, path: str, ref: ImportRef) -> Resolution:
        spec = ref.target.split("?", 1)[0]
        if spec.startswith((".", "/")):
            base = _join(_dir(path), spec) if spec.startswith(".") else _join(spec.lstrip("/"))
            if base.startswith(".."):
                return Resolution(UNRESOLVED)
            hit = self._js_probe(base)
            return self._internal([hit] if hit else [])
        config = self._ts_config_for(path)
        if config is not None:
            mapped = self._ts_paths(config, spec)
            if mapped is not None:
                return mapped
            if config.base_url is not None:
                hit = self._js_probe(_join(config.base_url, spec))
                if hit:
                    return self._internal([hit])
        if spec.startswith("node:") or spec.split("/", 1)[0] in NODE_BUILTINS:
            return Resolution(STDLIB)
        segments = spec.split("/")
        name = "/".join(segments[:2]) if spec.startswith("@") else segments[0]
        return Resolution(EXTERNAL, package=normalise_name(name, "npm"), ecosystem="npm")

    def _ts_paths(self, config: TsConfig, spec: str) -> Resolution | None:
        best: tuple[int, tuple[str, ...], str] | None = None
        for pattern, substitutions in config.paths:
            if "*" in pattern:
                prefix, _, suffix = pattern.partition("*")
                if spec.startswith(prefix) and spec.endswith(suffix):
                    if len(spec) < len(prefix) + len(suffix):
                        continue
                    star = spec[len(prefix) : len(spec) - len(suffix)]
                    if best is None or len(prefix) > best[0]:
                        best = (len(prefix), substitutions, star)
            elif pattern == spec:
                best = (len(pattern) + 1, substitutions, "")
                break
        if best is None:
            return None
        for substitution in best[1]:
            hit = self._js_probe(_join(config.root, substitution.replace("*", best[2])))
            if hit:
                return self._internal([hit])
        return Resolution(UNRESOLVED)

    # -- go --

    def _go_import_path(self, directory: str) -> str | None:
        best: tuple[str, str] | None = None
        for module_dir, module in self.project.go_modules.items():
            inside = not module_dir or directory == module_dir
            inside = inside or directory.startswith(module_dir + "/")
            if inside and (best is None or len(module_dir) > len(best[0])):
                best = (module_dir, module)
        if best is None:
            return None
        rest = directory[len(best[0]) :].lstrip("/")
        return f"{best[1]}/{rest}" if rest else best[1]

    def _go(self, ref: ImportRef) -> Resolution:
        target = ref.target
        best: tuple[str, str] | None = None
        for module_dir, module in self.project.go_modules.items():
            if (target == module or target.startswith(module + "/")) and (
                best is None or len(module) > len(best[1])
            ):
                best = (module_dir, module)
        if best is not None:
            directory = _join(best[0], target[len(best[1]) :].lstrip("/"))
            if directory in self.dirs_with_go:
                return Resolution(INTERNAL, (directory,))
            return Resolution(UNRESOLVED)
        if "." not in target.split("/", 1)[0]:
            return Resolution(STDLIB)
        requires = [
            r for r in self.project.go_requires if target == r or target.startswith(r + "/")
        ]
        package = max(requires, key=len) if requires else target
        return Resolution(EXTERNAL, package=package, ecosystem="go")

    # -- java / c# --

    def _index_java_and_csharp(self) -> None:
        self.java_classes: dict[str, str] = {}
        self.java_packages: dict[str, list[str]] = defaultdict(list)
        self.java_name: dict[str, str] = {}
        self.csharp_namespaces: set[str] = set()
        for path, file in sorted(self.files.items()):
            if file.language == "java":
                package = next((r.target for r in file.imports if r.kind == "package"), "")
                stem = PurePosixPath(path).stem
                name = f"{package}.{stem}" if package else stem
                self.java_classes.setdefault(name, path)
                self.java_packages[package].append(path)
                self.java_name[path] = name
            elif file.language == "csharp":
                self.csharp_namespaces.update(
                    r.target for r in file.imports if r.kind == "namespace"
                )

    def _java(self, ref: ImportRef) -> Resolution:
        segments = ref.target.split(".")
        if ref.names == ("*",):
            hit = self.java_classes.get(ref.target)
            if hit:
                return self._internal([hit])
            in_package = self.java_packages.get(ref.target)
            if in_package:
                return self._internal(in_package)
        else:
            for end in range(len(segments), 0, -1):
                hit = self.java_classes.get(".".join(segments[:end]))
                if hit:
                    return self._internal([hit])
        if ref.target.startswith(JAVA_STDLIB_PREFIXES):
            return Resolution(STDLIB)
        groups = [g for g in self.project.maven_groups if ref.target.startswith(g + ".")]
        groups += [g for g in self.project.maven_groups if ref.target == g]
        package = max(groups, key=len) if groups else ".".join(segments[:2])
        return Resolution(EXTERNAL, package=package, ecosystem="maven")

    def _csharp(self, ref: ImportRef) -> Resolution:
        target = ref.target
        if any(
            target == ns or ns.startswith(target + ".") or target.startswith(ns + ".")
            for ns in self.csharp_namespaces
        ):
            return Resolution(NAMESPACE)
        if target.split(".", 1)[0] in CSHARP_STDLIB_PREFIXES:
            return Resolution(STDLIB)
        lowered = target.lower()
        matches = [
            p for p in self.project.nuget_packages if lowered == p or lowered.startswith(p + ".")
        ]
        package = max(matches, key=len) if matches else lowered.split(".", 1)[0]
        return Resolution(EXTERNAL, package=package, ecosystem="nuget")

    # -- c / c++ --

    def _index_c(self) -> None:
        roots = {""}
        for path in self.paths:
            parts = PurePosixPath(path).parent.parts
            for depth, part in enumerate(parts):
                if part in ("include", "src"):
                    roots.add("/".join(parts[: depth + 1]))
        self.c_roots = sorted(roots)

    def _c(self, path: str, ref: ImportRef) -> Resolution:
        system = ref.kind == "include_system"
        if not system:
            local = _join(_dir(path), ref.target)
            if local in self.paths:
                return self._internal([local])
        hits = [
            candidate
            for candidate in (_join(root, ref.target) for root in self.c_roots)
            if candidate in self.paths and not candidate.startswith("..")
        ]
        if hits:
            nearest = max(hits, key=lambda hit: (len(posixpath.commonpath([hit, path])), hit))
            return self._internal([nearest])
        return Resolution(STDLIB if system else UNRESOLVED)

    # -- rust --

    def _index_rust(self) -> None:
        """module key (crate src dir, module parts) -> file, and each file's own key."""
        self.rust_modules: dict[tuple[str, tuple[str, ...]], str] = {}
        self.rust_key: dict[str, tuple[str, tuple[str, ...]]] = {}
        crate_dirs = sorted(self.project.crates, key=len, reverse=True)
        for path, file in sorted(self.files.items()):
            if file.language != "rust":
                continue
            src = self._rust_src(path, crate_dirs)
            if src is None:
                self.rust_key[path] = (path, ())
                continue
            parts = list(PurePosixPath(path[len(src) :].lstrip("/")).with_suffix("").parts)
            if parts and parts[-1] == "mod":
                parts.pop()
            if parts in (["lib"], ["main"]):
                parts = []
            key = (src, tuple(parts))
            if key not in self.rust_modules or PurePosixPath(path).name == "lib.rs":
                self.rust_modules[key] = path
            self.rust_key[path] = key

    def _rust_src(self, path: str, crate_dirs: list[str]) -> str | None:
        """The ``src`` directory of the crate a file belongs to, or None for a standalone
        crate root (tests/, examples/, build.rs)."""
        crate_dir = next((d for d in crate_dirs if not d or path.startswith(d + "/")), None)
        if crate_dir is not None:
            src = _join(crate_dir, "src")
            return src if path.startswith(src + "/") else None
        parts = PurePosixPath(path).parent.parts
        for depth in range(len(parts), 0, -1):
            candidate = "/".join(parts[:depth])
            if parts[depth - 1] == "src" and any(
                _join(candidate, root) in self.paths for root in ("lib.rs", "main.rs")
            ):
                return candidate
        return None

    def _rust_display_name(self, path: str) -> str:
        src, parts = self.rust_key.get(path, (path, ()))
        if src == path:
            return path
        return "::".join(["crate", *parts])

    def _rust_child_dir(self, path: str) -> str:
        pure = PurePosixPath(path)
        src, parts = self.rust_key[path]
        if src == path or pure.name in ("mod.rs", "lib.rs", "main.rs") or not parts:
            return _dir(path)
        return _join(_dir(path), pure.stem)

    def _rust_lookup(self, src: str, parts: list[str], minimum: int) -> str | None:
        for end in range(len(parts), minimum - 1, -1):
            hit = self.rust_modules.get((src, tuple(parts[:end])))
            if hit:
                return hit
        return None

    def _rust(self, path: str, ref: ImportRef) -> Resolution:
        segments = ref.target.split("::")
        if ref.kind == "mod":
            base = _join(self._rust_child_dir(path), *segments)
            for candidate in (base + ".rs", _join(base, "mod.rs")):
                if candidate in self.paths:
                    return self._internal([candidate])
            return Resolution(UNRESOLVED)
        src, current = self.rust_key[path]
        own_crate = src != path
        head = segments[0]
        if ref.kind == "extern_crate":
            segments = [head]
        if head == "crate" and own_crate:
            hit = self._rust_lookup(src, segments[1:], 0)
            return self._internal([hit] if hit else [])
        if head in ("self", "super") and own_crate:
            supers = 0
            while supers < len(segments) and segments[supers] == "super":
                supers += 1
            if supers > len(current):
                return Resolution(UNRESOLVED)
            parent = list(current[: len(current) - supers])
            rest = segments[1:] if head == "self" else segments[supers:]
            found = self._rust_lookup(src, [*parent, *rest], len(parent))
            return self._internal([found] if found else [])
        if head in ("crate", "self", "super"):
            return Resolution(UNRESOLVED)
        if own_crate:
            local = self._rust_lookup(src, [*current, *segments], len(current) + 1)
            if local:
                return self._internal([local])
        for crate_dir, crate in self.project.crates.items():
            if crate == head:
                crate_src = _join(crate_dir, "src")
                hit = self._rust_lookup(crate_src, segments[1:], 0)
                return self._internal([hit] if hit else [])
        if head in RUST_STDLIB:
            return Resolution(STDLIB)
        return Resolution(EXTERNAL, package=normalise_name(head, "crates"), ecosystem="crates")

    # -- ruby --

    def _ruby(self, path: str, ref: ImportRef) -> Resolution:
        target = ref.target if ref.target.endswith(".rb") else ref.target + ".rb"
        if ref.kind == "require_relative":
            candidate = _join(_dir(path), target)
            return self._internal([candidate] if candidate in self.paths else [])
        directory = _dir(path)
        while True:
            candidate = _join(directory, "lib", target)
            if candidate in self.paths:
                return self._internal([candidate])
            if not directory:
                break
            directory = _dir(directory)
        name = ref.target.split("/", 1)[0]
        return Resolution(EXTERNAL, package=normalise_name(name, "rubygems"), ecosystem="rubygems")
