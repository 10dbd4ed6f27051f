"""Which tiles the code map draws: files one by one, or subfolders when a folder holds many."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bmad.dashboard.code_pages import MAP_MAX_FILES, map_tiles
from bmad.dashboard.layout import Links
from bmad.dashboard.model import FileEntry

LINKS = Links("t0ken")


def entry(path: str, nloc: int = 10, priority: float = 0.0) -> FileEntry:
    return FileEntry(path, "python", nloc, priority, 0, 0)


def query(link: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(link).query).items()}


def test_a_small_tree_is_drawn_file_by_file_grouped_by_folder_two_levels_deep() -> None:
    files = [
        entry("src/app/core/a.py"),
        entry("src/app/cli/b.py"),
        entry("src/app/c.py"),
        entry("src/app/core/deep/er/d.py"),
    ]
    tiles, shown = map_tiles(files, "", "risk", LINKS)
    assert shown == "src/app/"  # folders holding a single folder are opened
    assert sorted((tile.group, tile.name) for tile in tiles) == [
        ("", "c.py"),
        ("cli/", "b.py"),
        ("core/", "a.py"),
        ("core/deep/", "d.py"),
    ]
    assert query(tiles[0].link) == {"token": "t0ken", "path": "src/app/core/a.py"}


def test_a_large_tree_shows_its_folders_each_coloured_by_its_hottest_file() -> None:
    files = [entry(f"pkg_{index % 3}/mod_{index}.py") for index in range(MAP_MAX_FILES + 1)]
    files.append(entry("pkg_1/deep/hot.py", nloc=5, priority=9.5))
    files.append(entry("setup.py", nloc=7))
    tiles, shown = map_tiles(files, "", "risk", LINKS)
    assert shown == ""
    by_name = {tile.name: tile for tile in tiles}
    assert sorted(by_name) == ["pkg_0/", "pkg_1/", "pkg_2/", "setup.py"]
    assert by_name["pkg_1/"].value == 9.5 and by_name["pkg_0/"].value == 0.0
    assert by_name["pkg_1/"].size == 10 * 667 + 5
    assert query(by_name["pkg_1/"].link) == {"token": "t0ken", "folder": "pkg_1/", "colour": "risk"}
    inside, shown = map_tiles(files, "pkg_1/", "risk", LINKS)
    assert shown == "pkg_1/" and len(inside) == 668
    assert {tile.group for tile in inside} == {"", "deep/"}
    assert map_tiles(files, "pkg_1/deep/", "hotspot", LINKS)[0][0].name == "hot.py"
