from __future__ import annotations

import pytest

from bmad.extractors.manifests import ManifestError, manifest_kind, normalise_name, parse_manifest


def names(path: str, text: str) -> list[str]:
    return [dependency.name for dependency in parse_manifest(path, text.encode())]


def test_pep503_and_other_normalisations() -> None:
    assert normalise_name("Zope.Interface__X", "pypi") == "zope-interface-x"
    assert normalise_name("serde_json", "crates") == "serde-json"
    assert normalise_name("Newtonsoft.Json", "nuget") == "newtonsoft.json"


def test_pyproject_pep621_groups_and_poetry() -> None:
    text = """
[project]
dependencies = ["Requests[socks]>=2; python_version>'3'", "attrs"]
[project.optional-dependencies]
dev = ["PyTest==8"]
[dependency-groups]
lint = ["ruff"]
[tool.poetry.dependencies]
python = "^3.11"
Django = "^5"
[tool.poetry.group.docs.dependencies]
Sphinx = "*"
"""
    assert names("pyproject.toml", text) == [
        "attrs",
        "django",
        "pytest",
        "requests",
        "ruff",
        "sphinx",
    ]


def test_requirements_txt() -> None:
    text = (
        "# comment\nflask>=2 # web\n-r other.txt\n--index-url https://x\n"
        "-e git+https://g/x.git#egg=My_Pkg\nnumpy ; python_version<'4'\n"
        "pkg @ https://example.com/pkg.whl\n./local\n"
    )
    assert names("requirements-dev.txt", text) == ["flask", "my-pkg", "numpy", "pkg"]
    assert manifest_kind("sub/requirements.in") == "requirements"


def test_package_json() -> None:
    text = (
        '{"dependencies": {"React": "1"}, "devDependencies": {"@types/node": "2"},'
        ' "peerDependencies": {"vue": "3"}}'
    )
    assert names("web/package.json", text) == ["@types/node", "react", "vue"]


def test_go_mod_block_and_single_requires() -> None:
    text = (
        "module example.com/m\n\nrequire github.com/a/b v1.0.0\nrequire (\n"
        "\tgolang.org/x/sync v0.1.0 // indirect\n\n\tgithub.com/c/d v2.0.0+incompatible\n)\n"
    )
    assert names("go.mod", text) == ["github.com/a/b", "github.com/c/d", "golang.org/x/sync"]


def test_cargo_with_renames_targets_and_workspace() -> None:
    text = """
[package]
name = "x"
[dependencies]
serde_json = "1"
tk = { package = "tokio", version = "1" }
[build-dependencies]
cc = "1"
[target.'cfg(unix)'.dependencies]
libc = "0.2"
[workspace.dependencies]
anyhow = "1"
"""
    assert names("Cargo.toml", text) == ["anyhow", "cc", "libc", "serde-json", "tokio"]


def test_pom_with_namespace() -> None:
    text = """<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"><dependencies>
<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
<dependency><groupId>junit</groupId><artifactId>junit</artifactId><scope>test</scope></dependency>
</dependencies></project>"""
    assert names("pom.xml", text) == ["junit:junit", "org.slf4j:slf4j-api"]


def test_gradle_groovy_and_kotlin() -> None:
    groovy = (
        "dependencies {\n  implementation 'com.google.guava:guava:32.0'\n"
        "  testImplementation group: 'junit', name: 'junit', version: '4'\n}\n"
    )
    kotlin = (
        'dependencies {\n  implementation("io.ktor:ktor-server:2.3")\n'
        '  api(platform("org.jetbrains:bom:1"))\n}\n'
    )
    assert names("build.gradle", groovy) == ["com.google.guava:guava", "junit:junit"]
    assert names("app/build.gradle.kts", kotlin) == ["io.ktor:ktor-server", "org.jetbrains:bom"]


def test_gemfile_and_csproj() -> None:
    gemfile = "source 'https://rubygems.org'\ngem 'Rails', '~> 7'\ngem(\"pg\")\n# gem 'no'\n"
    assert names("Gemfile", gemfile) == ["pg", "rails"]
    csproj = (
        '<Project Sdk="Microsoft.NET.Sdk"><ItemGroup>'
        '<PackageReference Include="Newtonsoft.Json" Version="13" />'
        '<PackageReference Update="Serilog" /></ItemGroup></Project>'
    )
    assert names("src/App.csproj", csproj) == ["newtonsoft.json", "serilog"]


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("pyproject.toml", b"[project\n", "invalid TOML"),
        ("Cargo.toml", b"x = \n", "invalid TOML"),
        ("package.json", b"{", "invalid JSON"),
        ("package.json", b"[]", "must hold an object"),
        ("go.mod", b"require x v1\n", "no module directive"),
        ("pom.xml", b"<project>", "invalid XML"),
        ("Web.csproj", b"<Project", "invalid XML"),
        ("Gemfile", b"gem '\xff'", "not UTF-8"),
        ("setup.py", b"", "not a known manifest"),
    ],
)
def test_malformed_manifests_raise(path: str, data: bytes, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        parse_manifest(path, data)
