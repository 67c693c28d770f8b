"""Text from data or uploads is shown literally: Markdown links, images and formatting are escaped."""

from __future__ import annotations

import re

from dashboard.app.widgets import plain
from dashboard.present.markdown import WORD_JOINER


def test_markdown_from_data_is_escaped() -> None:
    hostile = "![x](http://evil.example/a.png) [link](javascript:alert(1)) **bold** <b>html</b> `code` # head"
    escaped = plain(hostile)
    unescaped_specials = re.findall(r"(?<!\\)[\[\]()!*<>`#]", escaped)
    assert unescaped_specials == []
    assert escaped.replace("\\", "").replace(WORD_JOINER, "") == hostile  # nothing lost, only escaped


def test_plain_text_stays_readable() -> None:
    assert plain("Estonia-Latvia CERT hotline") == "Estonia\\-Latvia CERT hotline"
    assert plain("Grid ISAC") == "Grid ISAC"
