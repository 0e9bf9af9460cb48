"""Paper texts as templates a centre can change: Jinja2 in a sandbox, one file per paper.

A template renders to lines of a small markup, one element of the paper per line, so a
template says *what* is printed and the printer layer decides how it fits 58 or 80 mm paper:

    @title 受理回执            centred, bold, double size
    @center 文本 / @right 文本 / @bold 文本
    @field 标签 | 值           `标签：值`, the value wrapped under itself
    @columns 左 | 右           left and right on one line (materials and their state)
    @rule                      a dashed line across the paper
    @sign 申请人签名：          room to write, then a line to sign on
    @qr 数据 / @feed 2 / @nocut
    any other line             a paragraph

Blank lines are skipped. Values from the data (`{{ … }}`) are made flat: line breaks and
control characters become spaces, `|` and `@` their full-width forms, so a name or a reason
can never add a line, a directive or printer bytes of its own. Missing variables are errors.

The built-in templates are in `templates/`; a centre overrides any of them (or `_head.txt`
and `_foot.txt`, which every paper includes) by a file of the same name in `<data dir>/papers/`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devices.printer.document import QR, Columns, Document, Element, Feed, Field, Line, Rule, Sign
from usererror import UserError

if TYPE_CHECKING:  # Jinja is loaded at the first paper, not before the desk's first frame
    from jinja2.sandbox import SandboxedEnvironment

BUILT_IN = Path(__file__).parent / "templates"
OVERRIDES = "papers"  # the centre's own templates, in the data directory
# template file → the paper's name (as printed, in the queue and in `clerk case print --doc`)
PAPERS = {
    "ticket": "排队号",
    "acceptance": "受理回执",
    "bundle": "一件事受理回执",
    "notice": "一次性告知书",
    "refusal": "不予受理通知书",
    "correction": "补正回执",
    "delivery": "出件回执",
}


class PaperError(UserError):
    """A template that cannot be rendered; `str()` says which and why, in Chinese."""


def _flat(value: Any) -> str:
    """Every value the data puts on paper: one line, no markup, no control bytes."""
    if value is None:
        return ""
    out = []
    for char in str(value):
        if char in "\r\n\t" or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(" ")
        else:
            out.append({"|": "｜", "@": "＠"}.get(char, char))
    return "".join(out)


def environment(overrides: Path | None) -> SandboxedEnvironment:
    """Templates from the centre's directory first, then the built-in ones. Not cached: a
    template a centre adds takes effect on the next paper (rendering costs milliseconds)."""
    from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    loaders = [FileSystemLoader(str(overrides))] if overrides else []
    return SandboxedEnvironment(
        loader=ChoiceLoader([*loaders, FileSystemLoader(str(BUILT_IN))]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=True,  # an included head ends its last line
        finalize=_flat,
    )


def overrides_dir(home: Path | None) -> Path | None:
    """The centre's template directory, when it has one."""
    path = home / OVERRIDES if home else None
    return path if path and path.is_dir() else None


def render(paper: str, context: Mapping[str, Any], overrides: Path | None = None) -> Document:
    """The paper `paper` (a key of `PAPERS`) for `context`, as a printable document."""
    from jinja2 import TemplateError

    env = environment(overrides)
    try:
        markup = env.get_template(f"{paper}.txt").render(title=PAPERS.get(paper, paper), **context)
    except TemplateError as error:
        line = getattr(error, "lineno", None)  # syntax errors know their line
        where = f"第{line}行：" if line else ""
        raise PaperError(
            f"{PAPERS.get(paper, paper)}模板有误（{paper}.txt）：{where}{error}"
        ) from None
    elements, cut = parse(markup, paper)
    return Document(PAPERS.get(paper, paper), tuple(elements), cut=cut)


def parse(markup: str, paper: str = "") -> tuple[list[Element], bool]:
    """The markup's elements, and whether the paper is cut at the end."""
    elements: list[Element] = []
    cut = True
    for number, raw in enumerate(markup.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("@"):
            elements.append(Line(line))
            continue
        word, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        if word == "nocut":
            cut = False
            continue
        try:
            elements.append(_element(word, rest))
        except (KeyError, ValueError):
            raise PaperError(
                f"{PAPERS.get(paper, paper)}模板有误：输出第{number}行“{line[:30]}”无法识别"
            ) from None
    return elements, cut


def _element(word: str, rest: str) -> Element:
    def pair() -> tuple[str, str]:
        left, bar, right = rest.partition("|")
        if not bar:
            raise ValueError(word)
        return left.strip(), right.strip()

    builders: dict[str, Callable[[], Element]] = {
        "title": lambda: Line(rest, "center", bold=True, big=True),
        "center": lambda: Line(rest, "center"),
        "right": lambda: Line(rest, "right"),
        "bold": lambda: Line(rest, bold=True),
        "field": lambda: Field(*pair()),
        "columns": lambda: Columns(*pair()),
        "rule": lambda: Rule(rest or "-"),
        "sign": lambda: Sign(rest),
        "qr": lambda: QR(rest),
        "feed": lambda: Feed(int(rest or 1)),
    }
    return builders[word]()
