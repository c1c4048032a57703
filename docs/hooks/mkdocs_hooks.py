"""MkDocs hooks (mkdocs.yml `hooks:`): fill the generated reference pages, check the site.

A page holds a marker line, `<!-- generated: settings -->`, `<!-- generated: rest -->` or
`<!-- generated: mcp -->`, that is replaced by what `generate.py` builds from the code at
build time: nothing generated is committed, so nothing can go stale. A marker missing from
its page, an undocumented setting, or a script, style or font fetched from another host
stops the build.
"""

from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path
from typing import Any

import generate  # beside this file: mkdocs puts its folder on the path while it loads hooks
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from agent_memory_server.app import create_app
from agent_memory_server.config import Settings
from agent_memory_server.mcp.server import create_mcp_server


class DefaultSettings(Settings):
    """The shipped defaults: no environment variable or `.env` file of the builder's."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


PAGES = {
    "settings": "reference/configuration.md",
    "rest": "reference/rest.md",
    "mcp": "reference/mcp.md",
}
OPENAPI_FILE = "reference/openapi.json"


@functools.cache
def _openapi() -> dict[str, Any]:
    spec: dict[str, Any] = create_app(DefaultSettings()).openapi()
    return spec


@functools.cache
def _mcp_tools() -> list[Any]:
    return list(asyncio.run(create_mcp_server(DefaultSettings()).list_tools()))


def _generated(kind: str) -> str:
    if kind == "settings":
        problems = [f"{v}: not documented" for v in generate.undocumented_settings()]
        problems += generate.stale_notes()
        if problems:
            raise PluginError(
                "Settings reference (docs/hooks/settings_notes.yml): " + "; ".join(problems)
            )
        return str(generate.settings_markdown())
    if kind == "rest":
        return str(generate.rest_markdown(_openapi()))
    return str(generate.mcp_markdown(_mcp_tools()))


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Serve the OpenAPI document itself beside the REST reference (linkable, checked)."""
    content = json.dumps(_openapi(), indent=2)
    files.append(File.generated(config, OPENAPI_FILE, content=content))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    for kind, path in PAGES.items():
        marker = f"<!-- generated: {kind} -->"
        if page.file.src_uri == path:
            if marker not in markdown:
                raise PluginError(f"{path} lost its `{marker}` line")
            markdown = markdown.replace(marker, _generated(kind))
    return markdown


def on_post_build(config: MkDocsConfig) -> None:
    fetched = generate.external_resources(Path(config.site_dir))
    if fetched:
        raise PluginError(
            "The site would fetch from other hosts (it must work offline): " + "; ".join(fetched)
        )
