"""mkdocs hook: the docs' formulas become MathML when the site is built.

`pymdownx.arithmatex` (generic mode) marks `$...$` as `<span class="arithmatex">\\(...\\)
</span>` and `$$...$$` as `<div class="arithmatex">\\[...\\]</div>`. This hook converts
each one with latex2mathml, so browsers draw the formulas natively: no script, no font or CDN
to fetch when a page is viewed, and the site reads the same offline.

Browsers' MathML ignores `mathvariant` other than "normal", so letters set in script,
double-struck or bold (`\\mathcal N`, `\\mathbb R`) are swapped for the Unicode letters
of those styles; and `\\partial` and `/`, ordinary symbols in TeX, lose the operator
spacing MathML would give them (`\\partial L/\\partial a` reads as one fraction).
"""

import html
import re

from latex2mathml.converter import convert

_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)
_STYLED = re.compile(r'<mi mathvariant="(script|double-struck|bold)">([A-Za-z]+)</mi>')

# First code point of each style's A..Z and a..z in Unicode's mathematical alphanumerics,
# and the letters that Unicode placed earlier, in the Letterlike Symbols block.
_STARTS = {"script": 0x1D49C, "double-struck": 0x1D538, "bold": 0x1D400}
_HOLES = {
    "script": dict(zip("BEFHILMR", "\u212c\u2130\u2131\u210b\u2110\u2112\u2133\u211b")),
    "double-struck": dict(zip("CHNPQRZ", "\u2102\u210d\u2115\u2119\u211a\u211d\u2124")),
    "bold": {},
}
_ORDINARY = {
    "<mo>&#x02202;</mo>": "<mi>&#x02202;</mi>",
    "<mo>&#x0002F;</mo>": '<mo lspace="0" rspace="0">&#x0002F;</mo>',
}


def on_page_content(html_text, **kwargs):
    """mkdocs event: every page's HTML, after Markdown, before the theme wraps it."""
    html_text = _BLOCK.sub(lambda m: _mathml(m.group(1), "block"), html_text)
    return _INLINE.sub(lambda m: _mathml(m.group(1), "inline"), html_text)


def _mathml(escaped_tex, display):
    math = convert(html.unescape(escaped_tex).strip(), display=display)
    for mo, ordinary in _ORDINARY.items():
        math = math.replace(mo, ordinary)
    return _STYLED.sub(_styled_letters, math)


def _styled_letters(match):
    style, letters = match.groups()
    return "<mi>" + "".join(_styled(style, c) for c in letters) + "</mi>"


def _styled(style, letter):
    if letter in _HOLES[style]:
        return _HOLES[style][letter]
    offset = ord(letter) - ord("A") if letter.isupper() else 26 + ord(letter) - ord("a")
    return chr(_STARTS[style] + offset)
