"""The minutes as print-ready HTML (A4, print styles), from a Jinja2 template with
autoescaping: every name, reason and proposal text is escaped, never concatenated in."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from compliance.minutes import Minutes

_env = Environment(
    loader=PackageLoader("compliance", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(minutes: Minutes) -> str:
    """The minutes as one self-contained HTML document (styles inline, no scripts)."""
    return _env.get_template("minutes.html").render(m=minutes)
