"""Text from the URL, the data or a user, made safe to show through Streamlit's Markdown: the one escaping helper.

Every Streamlit text element (markdown, captions, titles, alerts, widget labels, the sidebar) renders GitHub-flavoured
Markdown. A value shown there unescaped can become a link, an image the browser fetches, a heading or a formula. And
escaping the Markdown characters is not enough: Streamlit's renderer (react-markdown with remark-gfm, plus its own
text plugins) turns bare `https://...`, `www....` and `name@host.tld` into links, and `:smile:`, `:streamlit:` and
`:material/...:` into pictures, by matching the text *after* backslash escapes are resolved. So besides escaping,
`escape_markdown` puts a WORD JOINER (U+2060, invisible and never a line break) where those patterns would match.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"

# Line breaks and other control characters would let a value start a new block (a heading, a list, a code block).
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
# What the renderer links or replaces in plain text (see the module docstring), each broken by a word joiner:
_AUTOLINK_BREAKS = (
    re.compile(r"(?<=:)(?=//)"),  # scheme://  (http, https, ftp, ...)
    re.compile(r"(?i)(?<=www)(?=\.)"),  # www.host
    re.compile(r"(?<=@)"),  # name@host.tld (e-mail, mailto:, xmpp:)
    re.compile(r"(?<=:)(?=[\w+/-]+:)"),  # :shortcode:, :streamlit:, :material/icon:
)
# Every ASCII punctuation character may be backslash-escaped in CommonMark, and each is shown literally when it is:
# links and images ([]()!), emphasis (*_~), code (`), headings (#), lists (-+.), tables (|), HTML (<>&),
# math ($), directives (:[]{}) and quotes.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def escape_markdown(text: object) -> str:
    """`text` as it should appear, literally: no link, image, formatting, HTML, heading, emoji or new line.

    For values from the URL, the data, uploads or users that are shown through st.markdown, st.caption, st.title,
    st.info/warning/error/success, widget labels or the sidebar. Not for st.text, st.code or table cells, which do
    not render Markdown (the escapes would show there).
    """
    plain = _CONTROL.sub(" ", str(text))
    for pattern in _AUTOLINK_BREAKS:
        plain = pattern.sub(WORD_JOINER, plain)
    return _PUNCTUATION.sub(r"\\\1", plain)
