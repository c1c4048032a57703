"""The documentation cannot drift from the code: every setting is documented, the README is the
front door (small, its Quickstart intact) and its links lead into docs/."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from agent_memory_server.config import Settings

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "docs" / "hooks"


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    """docs/hooks/generate.py, the generator the site build uses."""
    spec = importlib.util.spec_from_file_location("docs_generate", HOOKS / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["docs_generate"] = module
    spec.loader.exec_module(module)
    return module


def test_every_setting_is_documented(generate: ModuleType) -> None:
    assert generate.undocumented_settings() == [], (
        "document these in docs/hooks/settings_notes.yml or as the field's description"
    )
    assert generate.stale_notes() == []


def test_the_configuration_reference_lists_every_variable_with_its_default(
    generate: ModuleType,
) -> None:
    table = generate.settings_markdown()
    for name, field in Settings.model_fields.items():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{name.upper()}` |"))
        default = field.get_default(call_default_factory=True)
        if isinstance(default, int | float | str) and not isinstance(default, bool):
            assert f"`{default}`" in row, row


def test_a_note_for_a_missing_setting_or_a_concrete_default_is_reported(
    generate: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = tmp_path / "notes.yml"
    notes.write_text("NO_SUCH_SETTING: words\nPORT:\n  default: '1'\n  text: words\n")
    monkeypatch.setattr(generate, "NOTES_FILE", notes)
    assert generate.stale_notes() == [
        "NO_SUCH_SETTING: no such setting",
        "PORT: its default comes from Settings, drop `default:`",
    ]


def test_readme_is_the_front_door() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) < 10_000
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert "make run" in quickstart and "make test" in quickstart
    for target in re.findall(r"\]\(((?!https?:)[^)#]+)", readme):
        assert (ROOT / target).exists(), f"README links to {target}, which does not exist"


def test_the_site_would_load_nothing_from_another_host(
    generate: ModuleType, tmp_path: Path
) -> None:
    (tmp_path / "page.html").write_text(
        '<a href="https://example.org/">a link is fine</a>'
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
        '<script src="//cdn.example.org/x.js"></script>'
    )
    (tmp_path / "style.css").write_text('a{background:url("data:image/svg+xml;x")}')
    assert generate.external_resources(tmp_path) == [
        "page.html: //cdn.example.org/x.js",
        "page.html: https://fonts.googleapis.com/css?family=Roboto",
    ]
