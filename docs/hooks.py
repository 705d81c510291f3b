"""MkDocs hooks: draw the pictures and write the tables (docs/build_assets.py) before each build;
show the docstrings' examples (``>>>`` lines) as code in the API reference; and make every drawing
on a page a link to itself, so that a reader can open it at full size."""

from __future__ import annotations

import html as markup
import importlib.util
import re
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

# An <img> of an SVG drawing that is not already the content of a link.
DRAWING = re.compile(r'(?<!">)<img\b[^>]*\bsrc="([^"]+\.svg)"[^>]*>')
PRE = re.compile(r"(<pre\b[^>]*>)(.*?)(</pre>)", re.S)
WIDE = 100  # columns that fit the text column at the usual code size


def on_pre_build(config: Any, **kwargs: Any) -> None:
    path = Path(__file__).with_name("build_assets.py")
    spec = importlib.util.spec_from_file_location("build_assets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()


class DoctestBlocks(Preprocessor):
    """A docstring's example, its ``>>>`` and ``...`` lines and the output under them up to a
    blank line, as an indented code block. Markdown would read each ``>>>`` as three nested
    quotes, and run the output into the code as one paragraph."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        in_example = in_fence = False
        for line in lines:
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            if not in_fence and not in_example and (line.startswith(">>> ") or line == ">>>"):
                out.append("")  # an indented code block must follow a blank line
                in_example = True
            elif in_example and not line.strip():
                in_example = False
            out.append("    " + line if in_example else line)
        return out


class Doctests(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(DoctestBlocks(md), "doctest_blocks", 40)


def on_config(config: Any, **kwargs: Any) -> Any:
    # mkdocstrings renders docstrings with this same list of extensions (it keeps a reference).
    config.markdown_extensions.append(Doctests())
    return config


def on_page_content(html: str, **kwargs: Any) -> str:
    """A drawing is fitted to the page's width; a click opens it alone, at its natural size. A
    block of printed output wider than the column (the check's tables: up to 140 columns) gets
    a smaller font, just small enough that its lines fit, so that its columns can be read across."""

    def linked(match: re.Match[str]) -> str:
        return (
            f'<a class="drawing" href="{match.group(1)}" title="Open the drawing at full size">{match.group()}</a>'
            '<span class="drawing-note">Click the drawing to open it at full size.</span>'
        )

    def fitted(match: re.Match[str]) -> str:
        opening, body, closing = match.groups()
        columns = max(len(line) for line in markup.unescape(re.sub(r"<[^>]+>", "", body)).splitlines() or [""])
        if columns <= WIDE:
            return match.group()
        size = f"clamp(0.55rem, calc(100cqw / {columns * 0.6 + 8:.1f}), 0.72rem)"  # a character is 0.6 em wide
        return opening + body.replace("<code", f'<code style="font-size: {size}"', 1) + closing

    return PRE.sub(fitted, DRAWING.sub(linked, html))
