"""Where bmad keeps its files: bmad's own variables first, then platformdirs (XDG here)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from bmad import dirs


def test_bmad_home_holds_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BMAD_HOME", str(tmp_path))
    assert dirs.cache_dir() == tmp_path / "cache"
    assert dirs.runtime_dir() == tmp_path / "run"
    monkeypatch.setenv("BMAD_DATA_DIR", str(tmp_path / "elsewhere"))
    assert dirs.data_dir() == tmp_path / "elsewhere"


def test_without_bmad_variables_the_platform_folders_are_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BMAD_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    assert dirs.cache_dir() == tmp_path / "cache" / "bmad"
    assert dirs.runtime_dir() == tmp_path / "run" / "bmad"


def test_no_warning_without_xdg_runtime_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BMAD_HOME")
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dirs.runtime_dir().is_absolute()


def _platformdirs(name: str) -> Path:
    import platformdirs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Path(getattr(platformdirs, name)("bmad"))


def _private(path: Path, mode: int = 0o700) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    return path


HOME_FOLDERS = ("user_config_dir", "user_cache_dir", "user_data_dir", "user_log_dir")
XDG_VARIABLES = ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")


@pytest.mark.parametrize("name", HOME_FOLDERS)
@pytest.mark.parametrize("xdg", ["absolute", "unset", "relative", "trailing slash"])
@pytest.mark.parametrize("home", ["/home/someone", "/home/someone/", "/"])
def test_the_standard_library_reading_gives_platformdirs_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, xdg: str, home: str
) -> None:
    monkeypatch.setenv("HOME", home)
    for variable in XDG_VARIABLES:
        values = {
            "absolute": str(tmp_path / variable),
            "relative": "relative/folder",
            "trailing slash": f"{tmp_path / variable}/",
        }
        if xdg in values:
            monkeypatch.setenv(variable, values[xdg])
        else:
            monkeypatch.delenv(variable, raising=False)
    found = dirs.linux_user_dir(name)
    assert found is not None
    assert found == _platformdirs(name)
    assert dirs.user_dir(name) == found


def test_without_an_absolute_home_platformdirs_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in XDG_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    for home in ("relative/home", None):
        if home is None:
            monkeypatch.delenv("HOME", raising=False)
        else:
            monkeypatch.setenv("HOME", home)
        for name in HOME_FOLDERS:
            assert dirs.linux_user_dir(name) is None
            assert dirs.user_dir(name) == _platformdirs(name)


def test_a_private_runtime_folder_is_read_without_platformdirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = _private(tmp_path / "run")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert dirs.linux_user_dir("user_runtime_dir") == runtime / "bmad"
    assert _platformdirs("user_runtime_dir") == runtime / "bmad"


@pytest.mark.parametrize(
    "case", ["missing", "mode 0755", "symbolic link", "shared parent", "relative", "a file"]
)
def test_a_runtime_folder_platformdirs_might_refuse_is_left_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    private = _private(tmp_path / "private")
    runtime = {
        "missing": tmp_path / "absent" / "run",
        "mode 0755": _private(tmp_path / "open", 0o755),
        "symbolic link": tmp_path / "link",
        "shared parent": _private(_private(tmp_path / "shared", 0o777) / "run"),
        "relative": Path("run"),
        "a file": tmp_path / "file",
    }[case]
    if case == "symbolic link":
        runtime.symlink_to(private)
    if case == "a file":
        runtime.write_text("")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert dirs.linux_user_dir("user_runtime_dir") is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # bmad silences platformdirs' fallback warning
        assert dirs.user_dir("user_runtime_dir") == _platformdirs("user_runtime_dir")
