from __future__ import annotations

import json
from pathlib import Path

import pytest

from bmad.extractors.architecture import build_architecture
from bmad.extractors.architecture_resolve import SourceFile
from bmad.extractors.metrics import ImportRef
from tests.extractors.architecture_fixtures import analyse_tree, edge_set, write_tree

PYTHON_TREE = {
    "pyproject.toml": '[project]\nname = "app"\ndependencies = ["Requests>=2", "PyYAML"]\n',
    "src/app/__init__.py": "from .a import thing\n",
    "src/app/a.py": "from . import b\nimport requests\nimport os\nthing = 1\n",
    "src/app/b.py": "import app.c\nfrom .missing import nothing\n",
    "src/app/c.py": (
        "from app import a\ntry:\n    import ujson\nexcept ImportError:\n    ujson = None\n"
    ),
    "src/app/selfish.py": "import app.selfish\n",
    "src/app/ui/__init__.py": "",
    "src/app/ui/view.py": "from ..core import model\n",
    "src/app/core/__init__.py": "",
    "src/app/core/model.py": "from app.ui.view import render\nimport yaml\n",
    "tests/test_a.py": "from app.a import thing\nimport pytest\n",
}


def test_python_graph_relative_absolute_src_layout_and_reexport(tmp_path: Path) -> None:
    result = analyse_tree(write_tree(tmp_path, PYTHON_TREE))
    assert edge_set(result) == {
        ("src/app/__init__.py", "src/app/a.py"),  # re-export
        ("src/app/a.py", "src/app/b.py"),
        ("src/app/b.py", "src/app/c.py"),
        ("src/app/c.py", "src/app/a.py"),
        ("src/app/selfish.py", "src/app/selfish.py"),
        ("src/app/ui/view.py", "src/app/core/model.py"),
        ("src/app/core/model.py", "src/app/ui/view.py"),
        ("tests/test_a.py", "src/app/a.py"),
    }
    assert result.cycles == [
        ["src/app/a.py", "src/app/b.py", "src/app/c.py"],
        ["src/app/core/model.py", "src/app/ui/view.py"],
        ["src/app/selfish.py"],
    ]
    assert result.modules["src/app/a.py"].name == "app.a"
    assert result.modules["src/app/a.py"].ca == 3
    assert result.modules["src/app/a.py"].ce == 1
    assert result.modules["src/app/selfish.py"].in_cycle
    assert result.modules["src/app/selfish.py"].ca == 0  # self-imports do not count
    assert result.modules["src/app/__init__.py"].instability == 1.0
    assert len(result.smallest_cycles["src/app/a.py"]) == 3
    assert {(u.path, u.target) for u in result.unresolved} == {
        ("src/app/b.py", "missing"),
        ("src/app/c.py", "ujson"),  # conditional: never guessed
    }
    deps = {(d.name, d.source) for d in result.dependencies}
    assert {("requests", "import"), ("yaml", "import"), ("pytest", "import")} <= deps
    assert {("requests", "pyproject.toml"), ("pyyaml", "pyproject.toml")} <= deps
    assert not any(d.name in ("os", "ujson") for d in result.dependencies)


def test_layer_violation_reported_with_location(tmp_path: Path) -> None:
    layers = ["src/app/ui/**", {"name": "core", "paths": ["src/app/core"]}]
    result = analyse_tree(write_tree(tmp_path, PYTHON_TREE), {"layers": layers})
    assert [
        (v.source, v.target, v.line, v.source_layer, v.target_layer)
        for v in result.layer_violations
    ] == [("src/app/core/model.py", "src/app/ui/view.py", 1, "core", "src/app/ui/**")]
    document = result.to_json()
    assert document["layer_violations"][0]["path"] == "src/app/core/model.py"
    assert document["layer_violations"][0]["from"] == "app.core.model"


def test_invalid_layers_setting_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="layers"):
        analyse_tree(write_tree(tmp_path, PYTHON_TREE), {"layers": "src/**"})
    with pytest.raises(ValueError, match=r"layers\[0\]"):
        analyse_tree(write_tree(tmp_path, PYTHON_TREE), {"layers": [3]})


def test_json_document_has_the_issue_shape(tmp_path: Path) -> None:
    document = analyse_tree(write_tree(tmp_path, PYTHON_TREE)).to_json()
    json.dumps(document)
    assert document["version"] == 1
    assert set(document["modules"][0]) == {
        "name",
        "path",
        "language",
        "ca",
        "ce",
        "instability",
        "in_cycle",
    }
    assert set(document["edges"][0]) == {"from", "to", "line"}
    assert ["app.a", "app.b", "app.c"] in document["cycles"]
    assert set(document["dependencies"][0]) == {"name", "ecosystem", "source"}
    assert {"hubs", "layer_violations"} <= set(document)


JS_TREE = {
    "package.json": '{"dependencies": {"React": "^18"}, "devDependencies": {"@types/node": "1"}}',
    "tsconfig.json": """{
      // comments and trailing commas are allowed
      "compilerOptions": {
        "baseUrl": ".",
        /* mapped */
        "paths": {"@lib/*": ["src/lib/*"],},
      },
    }""",
    "src/index.ts": (
        "import {x} from './util';\n"
        "import {add} from '@lib/math';\n"
        "import App from './components';\n"
        "import React from 'react';\n"
        "import fs from 'node:fs';\n"
        "import path from 'path';\n"
        "import {y} from './missing';\n"
        "import {z} from 'src/util';\n"
        "import {scoped} from '@scope/pkg/deep';\n"
        "const lazy = import('./util');\n"
    ),
    "src/util.ts": "export const x = 1;\n",
    "src/components/index.tsx": "import {x} from '../util';\nexport default function App() {}\n",
    "src/lib/math.ts": "export * from './helpers.js';\n",
    "src/lib/helpers.ts": "const m = require('../lib/math');\n",
}


def test_javascript_typescript_resolution(tmp_path: Path) -> None:
    result = analyse_tree(write_tree(tmp_path, JS_TREE))
    assert edge_set(result) == {
        ("src/index.ts", "src/util.ts"),
        ("src/index.ts", "src/lib/math.ts"),
        ("src/index.ts", "src/components/index.tsx"),
        ("src/components/index.tsx", "src/util.ts"),
        ("src/lib/math.ts", "src/lib/helpers.ts"),  # re-export with a .js specifier
        ("src/lib/helpers.ts", "src/lib/math.ts"),
    }
    assert result.cycles == [["src/lib/helpers.ts", "src/lib/math.ts"]]
    assert {u.target for u in result.unresolved} == {"./missing", "./util"}
    imported = {d.name for d in result.dependencies if d.source == "import"}
    assert imported == {"react", "@scope/pkg"}
    manifest = {d.name for d in result.dependencies if d.source == "package.json"}
    assert manifest == {"react", "@types/node"}


def test_malformed_tsconfig_is_reported_and_skipped(tmp_path: Path) -> None:
    tree = {**JS_TREE, "tsconfig.json": "{ not json"}
    result = analyse_tree(write_tree(tmp_path, tree))
    assert any(path == "tsconfig.json" for path, _ in result.skipped)
    assert ("src/index.ts", "src/util.ts") in edge_set(result)


GO_TREE = {
    "go.mod": "module example.com/proj\n\ngo 1.22\n\nrequire (\n"
    "\tgithub.com/pkg/errors v0.9.1\n\tgolang.org/x/sync v0.1.0 // indirect\n)\n",
    "cmd/app/main.go": 'package main\n\nimport (\n\t"fmt"\n\t"example.com/proj/internal/db"\n'
    '\t"github.com/pkg/errors/sub"\n\t"example.com/proj/internal/gone"\n)\n',
    "internal/db/db.go": 'package db\n\nimport "example.com/proj/internal/util"\n',
    "internal/db/db_test.go": 'package db_test\n\nimport "example.com/proj/internal/db"\n',
    "internal/util/util.go": "package util\n",
}


def test_go_packages_under_the_module_path(tmp_path: Path) -> None:
    result = analyse_tree(write_tree(tmp_path, GO_TREE))
    assert edge_set(result) == {("cmd/app", "internal/db"), ("internal/db", "internal/util")}
    assert result.modules["internal/db"].name == "example.com/proj/internal/db"
    assert not result.cycles  # the external test package's import of its own folder
    assert [u.target for u in result.unresolved] == ["example.com/proj/internal/gone"]
    assert ("github.com/pkg/errors", "go", "import") in {
        (d.name, d.ecosystem, d.source) for d in result.dependencies
    }
    assert "fmt" not in {d.name for d in result.dependencies}


JAVA_TREE = {
    "pom.xml": """<project xmlns="http://maven.apache.org/POM/4.0.0"><dependencies>
      <dependency><groupId>junit</groupId><artifactId>junit</artifactId></dependency>
      <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
    </dependencies></project>""",
    "src/main/java/com/acme/App.java": "package com.acme;\n"
    "import com.acme.util.Strings;\nimport com.acme.model.*;\n"
    "import static com.acme.util.Strings.join;\nimport java.util.List;\n"
    "import org.slf4j.Logger;\nclass App {}\n",
    "src/main/java/com/acme/util/Strings.java": "package com.acme.util;\n"
    "import com.acme.App.Inner;\nclass Strings {}\n",
    "src/main/java/com/acme/model/User.java": "package com.acme.model;\nclass User {}\n",
    "src/main/java/com/acme/model/Group.java": "package com.acme.model;\nclass Group {}\n",
}


def test_java_class_wildcard_static_and_nested_imports(tmp_path: Path) -> None:
    result = analyse_tree(write_tree(tmp_path, JAVA_TREE))
    base = "src/main/java/com/acme/"
    assert edge_set(result) == {
        (base + "App.java", base + "util/Strings.java"),
        (base + "App.java", base + "model/User.java"),
        (base + "App.java", base + "model/Group.java"),
        (base + "util/Strings.java", base + "App.java"),
    }
    assert result.modules[base + "App.java"].name == "com.acme.App"
    names = {(d.name, d.source) for d in result.dependencies}
    assert ("org.slf4j", "import") in names
    assert ("junit:junit", "pom.xml") in names
    assert not any(name.startswith("java") for name, _ in names)


C_TREE = {
    "include/proj/api.h": (
        '#ifndef PROJ_API_H\n#define PROJ_API_H\n#include "proj/types.h"\n#endif\n'
    ),
    "include/proj/types.h": "#pragma once\n",
    "src/api.c": '#include "proj/api.h"\n#include "internal.h"\n#include <stdio.h>\n'
    '#include "generated.h"\n#include <proj/types.h>\n',
    "src/internal.h": '#include "internal.h"\n',
}


def test_c_includes_against_folder_and_include_roots(tmp_path: Path) -> None:
    result = analyse_tree(write_tree(tmp_path, C_TREE))
    assert edge_set(result) == {
        ("include/proj/api.h", "include/proj/types.h"),
        ("src/api.c", "include/proj/api.h"),
        ("src/api.c", "src/internal.h"),
        ("src/api.c", "include/proj/types.h"),
        ("src/internal.h", "src/internal.h"),
    }
    assert [u.target for u in result.unresolved] == ["generated.h"]
    assert result.cycles == [["src/internal.h"]]


RUST_TREE = {
    "Cargo.toml": '[package]\nname = "my-crate"\n\n[dependencies]\nserde = "1"\n'
    'tokio = { version = "1", package = "tokio" }\n\n[dev-dependencies]\nserde_json = "1"\n',
    "src/lib.rs": "mod net;\nmod util;\npub use crate::net::Client;\n#[cfg(test)]\nmod tests;\n",
    "src/net/mod.rs": "mod http;\nuse super::util::helper;\npub struct Client;\n",
    "src/net/http.rs": "use crate::util;\nuse serde::Serialize;\nuse std::io;\n",
    "src/util.rs": "use self::inner::X;\nmod inner { use super::super::net::Client; }\n",
    "tests/it.rs": "use my_crate::net::Client;\n",
}


def test_rust_mod_and_use_paths(tmp_path: Path) -> None:
    result = analyse_tree(write_tree(tmp_path, RUST_TREE))
    assert edge_set(result) == {
        ("src/lib.rs", "src/net/mod.rs"),
        ("src/lib.rs", "src/util.rs"),
        ("src/net/mod.rs", "src/net/http.rs"),
        ("src/net/mod.rs", "src/util.rs"),
        ("src/net/http.rs", "src/util.rs"),
        ("src/util.rs", "src/net/mod.rs"),
        ("tests/it.rs", "src/net/mod.rs"),
    }
    assert result.modules["src/net/http.rs"].name == "crate::net::http"
    assert [u.target for u in result.unresolved] == ["tests"]  # #[cfg(test)]
    names = {(d.name, d.source) for d in result.dependencies}
    assert {("serde", "import"), ("serde", "Cargo.toml"), ("serde-json", "Cargo.toml")} <= names


def test_hubs_use_both_thresholds() -> None:
    files = [SourceFile(f"m{i}.py", "python", (ImportRef("hub", 1),)) for i in range(6)]
    files.append(SourceFile("hub.py", "python", tuple(ImportRef(f"leaf{i}", 1) for i in range(6))))
    files.extend(SourceFile(f"leaf{i}.py", "python", ()) for i in range(6))
    settings = {"hub_min_ca": 5, "hub_min_ce": 5, "hub_percentile": 0.5}
    assert build_architecture(files, {}, settings).hubs == ["hub.py"]
    strict = {**settings, "hub_min_ce": 7}
    assert build_architecture(files, {}, strict).hubs == []


def test_unreadable_and_malformed_manifests_are_skipped(tmp_path: Path) -> None:
    tree = {**PYTHON_TREE, "package.json": "{broken", "Cargo.toml": "[package\n"}
    root = write_tree(tmp_path, tree)
    (root / "requirements.txt").symlink_to(root / "nowhere.txt")  # listed, cannot be read
    (root / "Gemfile").write_bytes(b"gem '\xff\xfe'\n")
    result = analyse_tree(root)
    reasons = dict(result.skipped)
    assert "invalid JSON" in reasons["package.json"]
    assert "invalid TOML" in reasons["Cargo.toml"]
    assert reasons["requirements.txt"].startswith("unreadable")
    assert "not UTF-8" in reasons["Gemfile"]
    assert ("requests", "pyproject.toml") in {(d.name, d.source) for d in result.dependencies}
