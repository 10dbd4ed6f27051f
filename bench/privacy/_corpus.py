"""The utility benchmark's organisations: real code nobody here wrote, plus a bootstrap.

Real trees are installed packages of this interpreter (site-packages) and parts of its standard
library, grouped several per organisation as a company would hold several repositories. Each
tree is scanned once with bmad's own scanner; what the privacy path needs from it (one row of
code metrics per function, and the technologies of the schema's vocabulary the tree imports)
is cached in ``bench/_work/privacy-utility/corpus.json`` so later runs skip the scan.

Beyond the real organisations, an organisation is *bootstrapped*: it copies the number of
repositories of a real organisation drawn at random, and each of its repositories is a real
repository drawn at random whose functions are resampled with replacement (same count) and
whose technology set is kept. A bootstrapped organisation keeps only its sources and a seed
and draws its rows when they are read. The resampling uses a seeded numpy generator for
reproducibility; it only builds the benchmark's population and is never noise.
"""

from __future__ import annotations

import json
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bmad.extractors.metrics import FileMetrics, FunctionMetrics, ImportRef
from bmad.privacy.schemas import VOCABULARY, technologies_used
from bmad.privacy.summaries import AntiPatternSummary, LocalStatistics

WORK = Path(__file__).resolve().parent.parent / "_work" / "privacy-utility"
CORPUS_FORMAT = 1
# columns of the cached rows, fixed here so schema versions can release any subset of them
COLUMNS: tuple[str, ...] = (
    "nloc",
    "ccn",
    "cognitive",
    "max_nesting",
    "params",
    "returns",
    "tokens",
)
SITE = Path(sysconfig.get_paths()["purelib"])
STDLIB = Path(sysconfig.get_paths()["stdlib"])

# organisation -> its repositories (site-packages folders, or "stdlib:<folder>")
REAL_ORGANISATIONS: dict[str, tuple[str, ...]] = {
    "scientific": ("numpy", "scipy", "sklearn", "joblib"),
    "web": ("fastapi", "starlette", "uvicorn", "httpx", "httpcore", "h11", "anyio"),
    "editor-tools": ("pygls", "lsprotocol", "cattrs", "attr"),
    "security": ("cryptography", "pycparser", "cffi"),
    "testing": ("hypothesis", "_pytest", "pluggy", "schemathesis"),
    "type-checking": ("mypy", "mypyc"),
    "data-formats": ("pydantic", "jsonschema", "referencing", "yaml", "markdown_it"),
    "packaging": ("pip", "setuptools", "virtualenv", "pre_commit", "distlib", "filelock"),
    "terminal-http": ("rich", "click", "platformdirs", "idna", "urllib3", "requests"),
    "data-query": ("narwhals", "graphql", "werkzeug", "pygments", "opendp"),
    "stdlib-net": ("stdlib:asyncio", "stdlib:email", "stdlib:http", "stdlib:urllib"),
    "stdlib-tools": ("stdlib:idlelib", "stdlib:lib2to3", "stdlib:unittest", "stdlib:tkinter"),
    "stdlib-data": ("stdlib:json", "stdlib:xml", "stdlib:sqlite3", "stdlib:concurrent"),
}


@dataclass(frozen=True, slots=True)
class Repository:
    name: str
    metrics: np.ndarray  # functions x COLUMNS, int64 (Python functions only)
    technologies: frozenset[str]


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str
    repositories: tuple[Repository, ...]

    @property
    def functions(self) -> int:
        return sum(len(repository.metrics) for repository in self.repositories)


def _tree(spec: str) -> Path:
    if spec.startswith("stdlib:"):
        return STDLIB / spec.removeprefix("stdlib:")
    return SITE / spec


def _fingerprint(folder: Path) -> list[int]:
    files = list(folder.rglob("*.py"))
    return [len(files), sum(path.stat().st_size for path in files)]


def _scan(folder: Path) -> dict[str, object]:
    from bmad.scanning import ScanOptions, scan_paths

    result = scan_paths([folder], ScanOptions(use_cache=False, languages=frozenset({"python"})))
    files = [scanned.metrics for scanned in result.files]
    rows = [
        [getattr(function, metric) for metric in COLUMNS]
        for file in files
        for function in file.functions
    ]
    return {"functions": rows, "technologies": sorted(technologies_used(files))}


def load_real_organisations(log: bool = True) -> list[Organisation]:
    """The real organisations, scanning only trees missing from (or changed since) the cache."""
    WORK.mkdir(parents=True, exist_ok=True)
    cache_path = WORK / "corpus.json"
    cache: dict[str, dict[str, object]] = {}
    if cache_path.exists():
        document = json.loads(cache_path.read_text(encoding="utf-8"))
        if document.get("format") == CORPUS_FORMAT:
            cache = document["trees"]
    changed = False
    organisations = []
    for organisation, specs in REAL_ORGANISATIONS.items():
        repositories = []
        for spec in specs:
            folder = _tree(spec)
            if not folder.is_dir():
                continue
            fingerprint = _fingerprint(folder)
            entry = cache.get(spec)
            if entry is None or entry.get("fingerprint") != fingerprint:
                started = time.monotonic()
                entry = {"fingerprint": fingerprint, **_scan(folder)}
                cache[spec] = entry
                changed = True
                if log:
                    rows = entry["functions"]
                    assert isinstance(rows, list)
                    print(
                        f"  scanned {spec}: {len(rows)} functions "
                        f"in {time.monotonic() - started:.1f} s",
                        flush=True,
                    )
            rows = entry["functions"]
            technologies = entry["technologies"]
            assert isinstance(rows, list) and isinstance(technologies, list)
            if rows:
                repositories.append(
                    Repository(
                        spec,
                        np.asarray(rows, dtype=np.int64).reshape(-1, len(COLUMNS)),
                        frozenset(technologies),
                    )
                )
        if repositories:
            organisations.append(Organisation(organisation, tuple(repositories)))
    if changed:
        cache_path.write_text(
            json.dumps({"format": CORPUS_FORMAT, "trees": cache}), encoding="utf-8"
        )
    return organisations


class BootstrapOrganisation:
    """A bootstrapped organisation that keeps its sources and a seed, and draws its rows again
    (identically) whenever they are read: 10,000 materialised organisations of ~10,000
    functions each would not fit in memory."""

    __slots__ = ("name", "seed", "sources")

    def __init__(self, name: str, sources: tuple[Repository, ...], seed: int) -> None:
        self.name = name
        self.sources = sources
        self.seed = seed

    @property
    def repositories(self) -> tuple[Repository, ...]:
        generator = np.random.default_rng(self.seed)
        return tuple(
            Repository(
                source.name,
                source.metrics[generator.integers(len(source.metrics), size=len(source.metrics))],
                source.technologies,
            )
            for source in self.sources
        )

    @property
    def functions(self) -> int:
        return sum(len(source.metrics) for source in self.sources)


AnyOrganisation = Organisation | BootstrapOrganisation


def bootstrap_organisation(
    real: list[Organisation], generator: np.random.Generator, name: str
) -> BootstrapOrganisation:
    template = real[int(generator.integers(len(real)))]
    pool = [repository for organisation in real for repository in organisation.repositories]
    sources = tuple(pool[int(generator.integers(len(pool)))] for _ in template.repositories)
    return BootstrapOrganisation(name, sources, int(generator.integers(2**63)))


def federation(
    real: list[Organisation], size: int, generator: np.random.Generator
) -> list[AnyOrganisation]:
    """``size`` organisations: real ones first (a random subset when fewer are needed)."""
    if size <= len(real):
        chosen = generator.choice(len(real), size=size, replace=False)
        return [real[int(index)] for index in chosen]
    extra: list[AnyOrganisation] = [
        bootstrap_organisation(real, generator, f"bootstrap-{index}")
        for index in range(size - len(real))
    ]
    return [*real, *extra]


def _prefix(technology: str) -> str:
    for entry in VOCABULARY:
        if entry.name == technology:
            return entry.prefixes[0]
    raise KeyError(technology)


def repository_statistics(repository: Repository) -> LocalStatistics:
    """What ``bmad.privacy.collect`` would hand the privacy layer for this repository's code.

    Function rows become ``FunctionMetrics`` (names and lines carry nothing: the schemas never
    read them); the technology set becomes one import of each technology's first prefix, which
    ``technologies_used`` maps back to exactly that set.
    """
    functions = tuple(
        FunctionMetrics(
            "",
            "",
            1,
            1,
            int(row[COLUMNS.index("nloc")]),
            1,
            int(row[COLUMNS.index("ccn")]),
            int(row[COLUMNS.index("cognitive")]),
            int(row[COLUMNS.index("max_nesting")]),
            int(row[COLUMNS.index("params")]),
            int(row[COLUMNS.index("returns")]),
            int(row[COLUMNS.index("tokens")]),
        )
        for row in repository.metrics.tolist()
    )
    imports = tuple(ImportRef(_prefix(name), 1) for name in sorted(repository.technologies))
    file = FileMetrics("python", 0, 0, 0, 0, False, functions, imports)
    findings = AntiPatternSummary(smell_counts(repository.metrics), 0, 0)
    return LocalStatistics(files=[file], anti_patterns=findings)


def smell_counts(metrics: np.ndarray) -> dict[str, int]:
    """Function-level smells of ``bmad.analysis.rules.function_smells`` at the default
    thresholds, counted over metric rows (complex-conditional needs the syntax tree, so it is
    not counted here)."""
    from bmad.analysis.settings import RuleSettings

    rules = RuleSettings()
    column = {metric: metrics[:, COLUMNS.index(metric)] for metric in COLUMNS}
    return {
        "complex-method": int((column["ccn"] >= rules.complex_method_ccn).sum()),
        "high-cognitive-complexity": int(
            (column["cognitive"] > rules.cognitive_complexity_above).sum()
        ),
        "deep-nesting": int((column["max_nesting"] >= rules.deep_nesting).sum()),
        "long-parameter-list": int((column["params"] >= rules.long_parameter_list).sum()),
        "large-method": int((column["nloc"] >= rules.large_method_nloc).sum()),
    }
