"""Python module names and imports for implicit namespace packages (PEP 420)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bmad.extractors.architecture import Architecture
from tests.extractors.architecture_fixtures import analyse_tree, edge_set, write_tree


def python_names(architecture: Architecture) -> dict[str, str]:
    return {
        path: module.name
        for path, module in architecture.modules.items()
        if module.language == "python"
    }


def prefixed(prefix: str, files: dict[str, str]) -> dict[str, str]:
    return {prefix + path: text for path, text in files.items()}


FLASK_LIKE = {
    "flask/__init__.py": "from .app import Flask\n",
    "flask/app.py": (
        "from .sansio.app import App\nfrom flask.sansio.blueprints import Blueprint\n"
        "from .sansio import scaffold\n"
    ),
    "flask/helpers.py": "def url_for(): ...\n",
    "flask/sansio/app.py": "from .blueprints import Blueprint\nfrom ..helpers import url_for\n",
    "flask/sansio/blueprints.py": "from flask.sansio.scaffold import Scaffold\n",
    "flask/sansio/scaffold.py": "import flask.helpers\n",
}


@pytest.mark.parametrize("layout", ["src/", ""], ids=["src-layout", "flat-layout"])
def test_a_namespace_folder_inside_a_regular_package_is_named_and_imported_under_it(
    tmp_path: Path, layout: str
) -> None:
    files = prefixed(layout, FLASK_LIKE)
    files["examples/run.py"] = "import blueprints\nimport scaffold\n"
    result = analyse_tree(write_tree(tmp_path, files))
    assert python_names(result) == {
        f"{layout}flask/__init__.py": "flask",
        f"{layout}flask/app.py": "flask.app",
        f"{layout}flask/helpers.py": "flask.helpers",
        f"{layout}flask/sansio/app.py": "flask.sansio.app",
        f"{layout}flask/sansio/blueprints.py": "flask.sansio.blueprints",
        f"{layout}flask/sansio/scaffold.py": "flask.sansio.scaffold",
        "examples/run.py": "run",
    }
    package = f"{layout}flask/"
    assert edge_set(result) == {
        (package + "__init__.py", package + "app.py"),
        (package + "app.py", package + "sansio/app.py"),
        (package + "app.py", package + "sansio/blueprints.py"),
        (package + "app.py", package + "sansio/scaffold.py"),
        (package + "sansio/app.py", package + "sansio/blueprints.py"),
        (package + "sansio/app.py", package + "helpers.py"),
        (package + "sansio/blueprints.py", package + "sansio/scaffold.py"),
        (package + "sansio/scaffold.py", package + "helpers.py"),
    }
    # Python cannot import a module of a package's namespace folder by its bare stem.
    imported = {d.name for d in result.dependencies if d.source == "import"}
    assert {"blueprints", "scaffold"} <= imported


@pytest.mark.parametrize("source_root", ["src/", "python/src/"])
def test_a_namespace_package_at_a_src_root_is_named_from_the_src_folder(
    tmp_path: Path, source_root: str
) -> None:
    files = prefixed(
        source_root,
        {
            "nspkg/top.py": "from nspkg.sub.mod import compute\n",
            "nspkg/sub/mod.py": "from ..top import settings\n",
            "nspkg/sub/other.py": "from . import mod\nimport nspkg.sub.mod\n",
        },
    )
    files["tests/test_mod.py"] = "from nspkg.sub import mod\n"
    result = analyse_tree(write_tree(tmp_path, files))
    assert python_names(result) == {
        f"{source_root}nspkg/top.py": "nspkg.top",
        f"{source_root}nspkg/sub/mod.py": "nspkg.sub.mod",
        f"{source_root}nspkg/sub/other.py": "nspkg.sub.other",
        "tests/test_mod.py": "test_mod",
    }
    top, mod, other = (f"{source_root}nspkg/{name}.py" for name in ("top", "sub/mod", "sub/other"))
    assert edge_set(result) == {
        (top, mod),
        (mod, top),
        (other, mod),
        ("tests/test_mod.py", mod),
    }
    assert result.unresolved == []
    assert result.cycles == [[mod, top]]


def test_nested_namespace_folders_and_a_regular_package_beneath_them(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": "from pkg.a.b import deep\nfrom .a.b.c import leaf\n",
        "pkg/a/b/deep.py": "from ...core import settings\nfrom . import c\n",
        "pkg/a/b/c/__init__.py": "from ..deep import helper\n",
        "pkg/a/b/c/leaf.py": "import pkg.a.b.c\n",
        "vendor_user.py": "from c import leaf\n",
    }
    result = analyse_tree(write_tree(tmp_path, files))
    assert python_names(result) == {
        "pkg/__init__.py": "pkg",
        "pkg/core.py": "pkg.core",
        "pkg/a/b/deep.py": "pkg.a.b.deep",
        "pkg/a/b/c/__init__.py": "pkg.a.b.c",
        "pkg/a/b/c/leaf.py": "pkg.a.b.c.leaf",
        "vendor_user.py": "vendor_user",
    }
    assert edge_set(result) == {
        ("pkg/core.py", "pkg/a/b/deep.py"),
        ("pkg/core.py", "pkg/a/b/c/leaf.py"),
        ("pkg/a/b/deep.py", "pkg/core.py"),
        ("pkg/a/b/deep.py", "pkg/a/b/c/__init__.py"),
        ("pkg/a/b/c/__init__.py", "pkg/a/b/deep.py"),
        ("pkg/a/b/c/leaf.py", "pkg/a/b/c/__init__.py"),
        # A regular package below namespace folders still answers to its own chain's name,
        # as it would for code that puts its folder on sys.path (vendored copies).
        ("vendor_user.py", "pkg/a/b/c/leaf.py"),
    }


def test_a_folder_of_scripts_keeps_bare_names_and_sibling_imports(tmp_path: Path) -> None:
    files = {
        "scripts/build.py": "import common\n",
        "scripts/common.py": "",
        "tools/gen/run.py": "import helper\n",
        "tools/gen/helper.py": "",
        "nspkg/sub/mod.py": "",
        "main.py": "import nspkg.sub.mod\n",
    }
    result = analyse_tree(write_tree(tmp_path, files))
    assert python_names(result) == {
        "scripts/build.py": "build",
        "scripts/common.py": "common",
        "tools/gen/run.py": "run",
        "tools/gen/helper.py": "helper",
        "nspkg/sub/mod.py": "mod",
        "main.py": "main",
    }
    assert edge_set(result) == {
        ("scripts/build.py", "scripts/common.py"),
        ("tools/gen/run.py", "tools/gen/helper.py"),
        ("main.py", "nspkg/sub/mod.py"),
    }


def test_an_embedded_project_is_named_from_its_own_root(tmp_path: Path) -> None:
    files = {
        "tests/__init__.py": "",
        "tests/unit/metadata/test_reading.py": "from tests.data.demo.demo import core\n",
        "tests/data/demo/setup.py": "import demo.core\n",
        "tests/data/demo/demo/__init__.py": "",
        "tests/data/demo/demo/core.py": "",
        "packages/alpha/pyproject.toml": '[project]\nname = "alpha"\n',
        "packages/alpha/src/alpha_ns/tool.py": "from alpha_ns import other\n",
        "packages/alpha/src/alpha_ns/other.py": "",
        "packages/alpha/scripts/release.py": "",
    }
    result = analyse_tree(write_tree(tmp_path, files))
    assert python_names(result) == {
        "tests/__init__.py": "tests",
        "tests/unit/metadata/test_reading.py": "tests.unit.metadata.test_reading",
        "tests/data/demo/setup.py": "setup",
        "tests/data/demo/demo/__init__.py": "demo",
        "tests/data/demo/demo/core.py": "demo.core",
        "packages/alpha/src/alpha_ns/tool.py": "alpha_ns.tool",
        "packages/alpha/src/alpha_ns/other.py": "alpha_ns.other",
        "packages/alpha/scripts/release.py": "release",
    }
    assert edge_set(result) == {
        ("tests/unit/metadata/test_reading.py", "tests/data/demo/demo/core.py"),
        ("tests/data/demo/setup.py", "tests/data/demo/demo/core.py"),
        ("packages/alpha/src/alpha_ns/tool.py", "packages/alpha/src/alpha_ns/other.py"),
    }


def test_a_folder_whose_name_is_no_identifier_is_no_namespace_package(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/test-data/generate.py": "import fixtures\n",
        "pkg/test-data/fixtures.py": "",
    }
    result = analyse_tree(write_tree(tmp_path, files))
    assert python_names(result)["pkg/test-data/generate.py"] == "generate"
    assert edge_set(result) == {("pkg/test-data/generate.py", "pkg/test-data/fixtures.py")}


def test_a_regular_package_beside_a_namespace_package(tmp_path: Path) -> None:
    files = {
        "src/regular/__init__.py": "from nsp.tools import tool\n",
        "src/regular/a.py": "from nsp import tools\nfrom corp.billing.invoice import Invoice\n",
        "src/nsp/tools.py": "from regular import a\nfrom regular.a import thing\n",
        "src/corp/billing/__init__.py": "",
        "src/corp/billing/invoice.py": "from ..shipping import parcel\n",
        "src/corp/shipping/parcel.py": "",
    }
    result = analyse_tree(write_tree(tmp_path, files))
    assert python_names(result) == {
        "src/regular/__init__.py": "regular",
        "src/regular/a.py": "regular.a",
        "src/nsp/tools.py": "nsp.tools",
        "src/corp/billing/__init__.py": "corp.billing",
        "src/corp/billing/invoice.py": "corp.billing.invoice",
        "src/corp/shipping/parcel.py": "corp.shipping.parcel",
    }
    assert edge_set(result) == {
        ("src/regular/__init__.py", "src/nsp/tools.py"),
        ("src/regular/a.py", "src/nsp/tools.py"),
        ("src/regular/a.py", "src/corp/billing/invoice.py"),
        ("src/nsp/tools.py", "src/regular/a.py"),
        ("src/corp/billing/invoice.py", "src/corp/shipping/parcel.py"),
    }
