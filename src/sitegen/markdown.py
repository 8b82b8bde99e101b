"""Stage 3: render an article's Markdown body to safe HTML and to plain text for excerpts.

`render_markdown()` is a pure function of the Markdown text, so its result can be cached by the
text's hash and computed in worker processes.
"""

from __future__ import annotations

import html as html_entities
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import NamedTuple
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_block import StateBlock, html_block
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.state_inline import Scanned
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from .text import (
    is_wide,
    join_cjk_aware,
    joins_without_space,
    make_excerpt,
    text_sketch,
)
from .workers import run_chunks, state


class Heading(NamedTuple):
    level: int
    anchor: str
    text: str


class Sanitised(NamedTuple):
    """Markup an editor wrote that the page does not show as written, for `sitegen check`."""

    line: int  # in the body, from 1
    kind: str  # "shown" (escaped, shown as text), "unclosed", "tag", "attribute", "url"
    markup: str  # as written: `<textarea>`, `<a onclick>`, `javascript:alert(1)`


@dataclass(frozen=True)
class RenderedBody:
    """An article body after rendering: sanitised HTML and the facts later stages need."""

    html: str
    text: str  # plain text of the body's paragraphs and list items, for excerpts and search
    headings: tuple[Heading, ...]
    links: tuple[str, ...]  # every link target as written, for link checks and .md rewriting
    images: tuple[str, ...]
    characters: int  # CJK characters plus Latin words: what a Chinese reader calls 字数
    sketch: tuple[int, ...]  # near-copy fingerprint of the text, see text_sketch()
    excerpt: str = ""  # the start of `text` cut at a sentence end, see render_bodies()
    sanitised: tuple[Sanitised, ...] = ()  # what the sanitiser removed or escaped, in body order


class BodyPage(NamedTuple):
    """What an article's own page shows of its body, kept in the body store until pages render."""

    html: str
    headings: tuple[Heading, ...]


# Bump when the same Markdown would render to different HTML (a sanitiser rule, a plugin), so that
# bodies cached under the old rules are rendered again rather than served.
RENDERER_VERSION = 3

# C0 controls other than tab and line ends, DEL, C1 controls and the noncharacters U+FFFE/U+FFFF:
# invisible in a browser, and not allowed in the XML of the feeds.
_INVISIBLE_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def render_markdown(text: str) -> RenderedBody:
    """Render Markdown to sanitised HTML plus the plain text, headings and links it contains."""
    md = _markdown()
    env: dict = {}
    tokens = md.parse(_INVISIBLE_CONTROLS.sub("", text), env)
    html = sanitize_html(md.renderer.render(tokens, md.options, env))
    headings, links, images, paragraphs = _collect(tokens)
    plain = join_cjk_aware(paragraphs, sentence_end=True)
    sanitised = tuple(dict.fromkeys(env.get(_SANITISED, ())))
    return RenderedBody(
        html, plain, tuple(headings), tuple(links), tuple(images), count_characters(plain), text_sketch(plain),
        sanitised=sanitised,
    )


def render_bodies(
    articles: Sequence[tuple[str, str]], store, known: Mapping[str, RenderedBody], jobs: int = 1, excerpt_length: int = 120
) -> list[RenderedBody]:
    """Render (key, Markdown) pairs; the page parts go to `store`, the facts come back without them.

    The facts carry the excerpt of `excerpt_length` characters and no text, HTML or headings:
    they are what every later stage needs of every article, so they are kept small. Bodies whose
    key is in `known` are not rendered again. The rest are rendered on up to `jobs` processes,
    which write to the store themselves when it lives on disk.
    """
    facts: dict[str, RenderedBody] = {key: known[key] for key, _ in articles if key in known}
    pending = list({key: text for key, text in articles if key not in facts}.items())
    if len(pending) > 60:
        import numpy  # noqa: F401  text_sketch() vectorises once numpy is loaded: worth its import here
    for results in run_chunks(_render_chunk, pending, shared=(store, excerpt_length), jobs=jobs, minimum=100):
        for key, body, page in results:
            if page is not None:
                store.put(key, page)
            facts[key] = body
    return [facts[key] for key, _ in articles]


def _render_chunk(items: Sequence[tuple[str, str]]) -> list[tuple[str, RenderedBody, BodyPage | None]]:
    store, excerpt_length = state()
    results = []
    for key, text in items:
        body = render_markdown(text)
        page: BodyPage | None = BodyPage(body.html, body.headings)
        if store.persistent:
            store.put(key, page)
            page = None
        facts = replace(body, html="", text="", headings=(), excerpt=make_excerpt(body.text, excerpt_length))
        results.append((key, facts, page))
    return results


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(stray_raw_html)
    md.use(heading_anchors, min_level=2, max_level=4)
    md.use(cjk_friendly_emphasis)
    md.use(cjk_soft_breaks)
    md.use(table_alignment_classes)
    md.use(keep_text_past_nesting_limit)
    return md


def heading_anchor(title: str) -> str:
    """An id for a heading that keeps Chinese text readable: 一、个人账户 → 一个人账户."""
    title = unicodedata.normalize("NFKC", title).strip().lower()
    return re.sub(r"[^\w\-]+", "", re.sub(r"\s+", "-", title)) or "section"


def heading_anchors(md: MarkdownIt, min_level: int = 2, max_level: int = 4) -> None:
    """Give headings of these levels a heading_anchor() id, made unique with -1, -2… as mdit-py-plugins does."""
    md.core.ruler.push("anchor", partial(_add_heading_ids, range(min_level, max_level + 1)))


def _add_heading_ids(levels: range, state: StateCore) -> None:
    tokens = state.tokens
    taken = {str(t.attrs["id"]) for t in tokens if t.type == "heading_open" and t.attrs.get("id")}
    # mdit-py-plugins tries -1, -2… from 1 for every repeat: 40,000 equal headings cost 800
    # million lookups (103 s). Counting on from the suffix a title last took gives the same ids,
    # since every suffix it skips is already taken and nothing is ever given back.
    next_suffix: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or int(token.tag[1]) not in levels or token.attrs.get("id"):
            continue
        children = tokens[index + 1].children or []
        anchor = base = heading_anchor("".join(c.content for c in children if c.type in ("text", "code_inline")))
        if anchor in taken:
            suffix = next_suffix.get(base, 1)
            while f"{base}-{suffix}" in taken:
                suffix += 1
            anchor, next_suffix[base] = f"{base}-{suffix}", suffix + 1
        taken.add(anchor)
        token.attrSet("id", anchor)


# --- CJK-friendly emphasis -------------------------------------------------------------------
# CommonMark's flanking rules do not open or close `**` between Chinese punctuation and a Chinese
# character (`**可以用。**广州`), leaving literal asterisks. Following the markdown-it
# `cjk-friendly` proposal, a delimiter run next to a CJK character counts as flanking on both sides.


def _is_cjk(char: str) -> bool:
    return bool(char) and is_wide(char)


class CjkFriendlyStateInline(StateInline):
    def scanDelims(self, start: int, canSplitWord: bool) -> Scanned:
        src, maximum = self.src, self.posMax
        marker = src[start]
        last = src[start - 1] if start > 0 else " "
        position = start
        while position < maximum and src[position] == marker:
            position += 1
        count = position - start
        following = src[position] if position < maximum else " "

        last_space, next_space = isWhiteSpace(ord(last)), isWhiteSpace(ord(following))
        if last_space or next_space:
            return Scanned(not next_space, not last_space, count)
        last_punct = isMdAsciiPunct(ord(last)) or isPunctChar(last)
        next_punct = isMdAsciiPunct(ord(following)) or isPunctChar(following)
        left_flanking, right_flanking = last_punct, next_punct  # `_` inside words stays literal
        if canSplitWord:
            beside_cjk = _is_cjk(following) or _is_cjk(last)
            left_flanking = left_flanking or beside_cjk or not next_punct
            right_flanking = right_flanking or beside_cjk or not last_punct
        return Scanned(left_flanking, right_flanking, count)


def cjk_friendly_emphasis(md: MarkdownIt) -> None:
    """Let `**…**` open and close next to Chinese punctuation, as the cjk-friendly plugin does."""
    inline = md.inline

    def parse(src: str, md: MarkdownIt, env: dict, tokens: list[Token]) -> list[Token]:
        state = CjkFriendlyStateInline(src, md, env, tokens)
        inline.tokenize(state)
        for rule in inline.ruler2.getRules(""):
            rule(state)
        return state.tokens

    inline.parse = parse  # type: ignore[method-assign, assignment]


# --- soft line breaks between Chinese characters ----------------------------------------------


def cjk_soft_breaks(md: MarkdownIt) -> None:
    """Drop a soft line break between two wide characters: browsers would show it as a space."""
    md.core.ruler.push("cjk_soft_breaks", _remove_cjk_soft_breaks)


def _remove_cjk_soft_breaks(state: StateCore) -> None:
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children = block.children
        # The nearest text after each position, found in one backward pass: a paragraph of
        # 300,000 short lines must not cost 300,000 scans of the lines around each break.
        following = [""] * (len(children) + 1)
        for index in range(len(children) - 1, -1, -1):
            following[index] = children[index].content or following[index + 1]
        before = ""
        for index, token in enumerate(children):
            if token.type == "softbreak":
                after = following[index + 1]
                if before and after and joins_without_space(before[-1], after[0]):
                    token.type, token.content = "text", ""
            before = token.content or before


# --- nesting past markdown-it's limit ---------------------------------------------------------

_NESTING_RULES = {"list", "blockquote", "footnote_def", "code"}


def keep_text_past_nesting_limit(md: MarkdownIt) -> None:
    """Past `maxNesting` levels of lists and quotes, read the rest as flat paragraphs.

    markdown-it stops there and drops every line up to the end of the article; an author who
    nests 200 lists should see the text (flattened), not lose the article's second half.
    """
    block = md.block
    tokenize = block.tokenize
    flat_rules = [rule.fn for rule in block.ruler.__rules__ if rule.enabled and rule.name not in _NESTING_RULES]

    def guarded(state: StateBlock, start: int, end: int) -> None:
        if state.level < state.md.options.maxNesting:
            tokenize(state, start, end)
            return
        line, had_empty = start, False
        while line < end:  # markdown-it's own loop, without the rules that nest
            state.line = line = state.skipEmptyLines(line)
            if line >= end or state.sCount[line] < state.blkIndent:
                break
            if not any(rule(state, line, end, False) for rule in flat_rules):
                state.line = line + 1  # the paragraph rule always matches; never loop forever
            state.tight = not had_empty
            line = state.line
            if line - 1 < end and state.isEmpty(line - 1):
                had_empty = True
            if line < end and state.isEmpty(line):
                had_empty = True
                line += 1
                state.line = line

    block.tokenize = guarded  # type: ignore[method-assign, assignment]


# --- table alignment as classes, so pages need no inline style (and pass a strict CSP) ---------


def table_alignment_classes(md: MarkdownIt) -> None:
    md.core.ruler.push("table_alignment_classes", _alignment_to_class)


def _alignment_to_class(state: StateCore) -> None:
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and token.attrs.get("style"):
            align = str(token.attrs.pop("style")).removeprefix("text-align:")
            token.attrSet("class", f"align-{align}")


# --- sanitising ----------------------------------------------------------------------------

_ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code",
    "ul", "ol", "li", "dl", "dt", "dd", "em", "strong", "b", "i", "u", "del", "s", "ins",
    "sup", "sub", "mark", "small", "kbd", "abbr", "q", "cite", "span", "div",
    "a", "img", "figure", "figcaption", "table", "caption", "thead", "tbody", "tfoot",
    "tr", "th", "td", "details", "summary", "section",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "width", "height"},
    "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "li": {"id"},
    "ol": {"start"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "abbr": {"title"},
    "details": {"open"},
}  # fmt: skip
_GENERIC_ATTRIBUTES = {"lang", "title"}  # nh3 keeps these on every tag it keeps
_ALLOWED_CLASSES = {
    "th": {"align-left", "align-center", "align-right"},
    "td": {"align-left", "align-center", "align-right"},
    "hr": {"footnotes-sep"},
    "section": {"footnotes"},
    "ol": {"footnotes-list"},
    "li": {"footnote-item"},
    "sup": {"footnote-ref"},
    "a": {"footnote-backref"},
    "code": {f"language-{lang}" for lang in ("python", "json", "yaml", "toml", "bash", "text", "html", "css")},
}


_LINK_SCHEMES = {"http", "https", "mailto", "tel"}
_IMAGE_SCHEMES = {"http", "https"}
_NEVER_SCHEMES = {"javascript", "vbscript", "data", "file"}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        allowed_classes=_ALLOWED_CLASSES,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template", "noscript"},
        url_schemes=_LINK_SCHEMES,
        attribute_filter=_check_url,
        link_rel=None,
        strip_comments=True,
    )


def url_scheme(url: str) -> str | None:
    """The scheme a browser reads from `url`, lowercased; None for a relative URL.

    As the URL standard does: leading spaces and controls are dropped, tabs and newlines anywhere
    are removed (so `jav\tascript:` is `javascript:`).
    """
    cleaned = re.sub("[\t\n\r]", "", url).lstrip("".join(map(chr, range(0x21))))
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def _check_url(element: str, attribute: str, value: str) -> str | None:
    # Second line of defence behind nh3's url_schemes: images only from http(s) or the site, and
    # no script scheme even percent-encoded (`java%09script:`), which browsers would not run anyway.
    if attribute not in ("href", "src"):
        return value
    allowed = _IMAGE_SCHEMES if element == "img" else _LINK_SCHEMES
    scheme = url_scheme(value)
    if scheme is not None and scheme not in allowed:
        return None
    return None if url_scheme(unquote(value)) in _NEVER_SCHEMES else value


def sanitize_html(html: str) -> str:
    """Keep the HTML an article may hold (see README); drop scripts, handlers and unsafe URLs."""
    return _cleaner().clean(html)


# --- raw HTML that would swallow the rest of the article ---------------------------------------

# Tags shown as text, their `<` escaped: GFM's tagfilter (title … plaintext), whose content the
# HTML parser reads as raw text up to an end tag an editor may never write, and those nh3 drops
# with their content (object, embed, template, noscript). Any other tag outside the allow-list is
# removed here, its text kept: nh3 would also drop the content of MathML and SVG names (`<mi>`,
# `<text>`, `<g>`…) and of what follows an unclosed one.
SHOWN_AS_TEXT = frozenset({
    "title", "textarea", "style", "xmp", "iframe", "noembed", "noframes", "script", "plaintext",
    "object", "embed", "template", "noscript",
})  # fmt: skip
_SANITISED = "sitegen_sanitised"  # env key: the Sanitised records of the body being parsed
_LAST_CLOSE = "sitegen_last_close"  # env key: where each closing sequence last occurs in the body

# The openings of CommonMark's HTML blocks 1-5, which end only at their closing sequence, and
# that sequence: those blocks end at a blank line instead when the body never closes them. The
# others always do: script, style and textarea are shown as text anyway, and `<!DOCTYPE`, `<?`
# and `<![CDATA[` have no place in an article (the `>` that ends a `<!DOCTYPE` is in any tag).
_UNTIL_CLOSED: list[tuple[re.Pattern[str], re.Pattern[str] | None]] = [
    (re.compile(r"<pre(?=[\s>]|\Z)", re.IGNORECASE), re.compile(r"</pre>", re.IGNORECASE)),
    (re.compile(r"<!--"), re.compile(r"-->")),
    (re.compile(r"<(?:script|style|textarea)(?=[\s>]|\Z)|<[?!]", re.IGNORECASE), None),
]

# Markup as the HTML tokenizer (html5ever, inside nh3) reads it: where it starts, and each whole
# construct. A tag with a quote left open, or a comment never closed, runs to the end of the page.
_MARKUP_START = re.compile(r"<(?=[A-Za-z/!?])")
_TAG = re.compile(r"""<(/?)([A-Za-z][^\t\n\f\r />]*)((?:[^>=]|=\s*"[^"]*"|=\s*'[^']*'|=(?!\s*["']))*)>""")
_COMMENT = re.compile(r"<!--(?:>|->|.*?--!?>)", re.DOTALL)
_BOGUS_COMMENT = re.compile(r"<[^>]*>")
_ATTRIBUTE = re.compile(r"""([^\s"'>/=][^\s>/=]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")


def stray_raw_html(md: MarkdownIt) -> None:
    """Show raw HTML that would swallow the rest of the article as text; note what nh3 will remove.

    Today's browsers read everything after an unclosed `<textarea>` as its text, and nh3 drops
    everything after an unclosed `<script>`; GitHub escapes such tags (GFM's tagfilter) and
    renders the rest, and so do we. HTML blocks that CommonMark ends only at a closing sequence
    (`<pre>`, `<!--`) end at a blank line when the body never closes them.
    """
    md.block.ruler.at("html_block", _html_block_closed_at_blank_line, {"alt": ["paragraph", "reference", "blockquote"]})
    md.core.ruler.after("inline", "stray_raw_html", _escape_stray_raw_html)


def _html_block_closed_at_blank_line(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if not silent:
        begin = state.bMarks[start_line] + state.tShift[start_line]
        for opening, closing in _UNTIL_CLOSED:
            if opening.match(state.src, begin):
                if closing is None or _last_match(state, closing) <= begin:
                    line = start_line + 1
                    while line < end_line and not state.isEmpty(line):
                        line += 1
                    end_line = line
                break
    return html_block(state, start_line, end_line, silent)


def _last_match(state: StateBlock, closing: re.Pattern[str]) -> int:
    # Found once per body: looking ahead from each of 10,000 unclosed `<pre>` would be quadratic.
    last = state.env.setdefault(_LAST_CLOSE, {})
    if closing not in last:
        last[closing] = max((m.start() for m in closing.finditer(state.src)), default=-1)
    return last[closing]


def _escape_stray_raw_html(state: StateCore) -> None:
    found: list[Sanitised] = state.env.setdefault(_SANITISED, [])
    for token in state.tokens:
        if token.type == "html_block":
            token.content = _read_raw_html(token.content, token.map[0] + 1 if token.map else 1, found)
        if token.type != "inline" or not token.children:
            continue
        line = token.map[0] + 1 if token.map else 1
        for child in token.children:
            if child.type == "html_inline":
                kept = _read_raw_html(child.content, line, found)
                if kept.startswith("&lt;"):
                    child.type = "text"  # the renderer escapes it, and it counts in the heading's text
                else:
                    child.content = kept
            elif child.type in ("link_open", "image"):
                attribute = "href" if child.type == "link_open" else "src"
                url = str(child.attrs.get(attribute, ""))
                if not _url_kept(child.tag, attribute, url):
                    found.append(Sanitised(line, "url", unquote(url)))
            line += child.content.count("\n") + (child.type in ("softbreak", "hardbreak"))


def _read_raw_html(raw: str, line: int, found: list[Sanitised]) -> str:
    """`raw` with `<` escaped where a tag is shown as text or would run to the end of the page,
    and without tags outside the allow-list; what is escaped or removed goes to `found`."""
    parts: list[str] = []
    done = position = 0  # raw[:done] is in parts; markup is looked for from position
    counted = 0  # line is the line of raw[counted]
    while (start := _MARKUP_START.search(raw, position)) is not None:
        at = start.start()
        line += raw.count("\n", counted, at)
        counted = at
        after = raw[at + 1]
        tag = _TAG.match(raw, at) if (after.isascii() and after.isalpha()) or (raw.startswith("</", at) and raw[at + 2 : at + 3].isalpha()) else None
        construct = tag or (_COMMENT if raw.startswith("<!--", at) else _BOGUS_COMMENT).match(raw, at)
        if construct is None or (tag and tag.group(2).lower() in SHOWN_AS_TEXT):
            parts += [raw[done:at], "&lt;"]
            done = position = at + 1
            if tag is None:  # never closed: the rest of the block is text, as markdown-it thought
                found.append(Sanitised(line, "unclosed", raw[at:].split("\n", 1)[0][:40]))
                break
            found.append(Sanitised(line, "shown", f"<{tag.group(1)}{tag.group(2).lower()}>"))
            continue
        if tag and tag.group(2).lower() not in _ALLOWED_TAGS:
            parts.append(raw[done:at])
            done = construct.end()
            if not tag.group(1):
                found.append(Sanitised(line, "tag", f"<{tag.group(2).lower()}>"))
        elif tag and not tag.group(1):
            _note_removals(tag.group(2).lower(), tag.group(3), line, found)
        position = construct.end()
    parts.append(raw[done:])
    return "".join(parts)


def _note_removals(name: str, attributes: str, line: int, found: list[Sanitised]) -> None:
    for attribute in _ATTRIBUTE.finditer(attributes):
        key = attribute.group(1).lower()
        value = html_entities.unescape(next((v for v in attribute.groups()[1:] if v is not None), ""))
        if key == "class":
            if any(c not in _ALLOWED_CLASSES.get(name, ()) for c in value.split()):
                found.append(Sanitised(line, "attribute", f'<{name} class="{value}">'))
        elif key not in _ALLOWED_ATTRIBUTES.get(name, ()) and key not in _GENERIC_ATTRIBUTES:
            found.append(Sanitised(line, "attribute", f"<{name} {key}>"))
        elif key in ("href", "src") and not _url_kept(name, key, value):
            found.append(Sanitised(line, "url", value))


def _url_kept(element: str, attribute: str, url: str) -> bool:
    return url_scheme(url) in (None, *_LINK_SCHEMES) and _check_url(element, attribute, url) is not None


# --- table size ------------------------------------------------------------------------------

# The cells all tables of one article may hold: markdown-it makes about ten objects per cell, and
# a 2,000 × 1,000 table took 3.7 GB. 20,000 cells is 200 rows of 100 columns, far past any table a
# reader can use.
MAX_TABLE_CELLS = 20_000

_FENCE = re.compile(r"(`{3,}|~{3,})")
_DELIMITER_ROW = re.compile(r"\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?")


def table_too_big(body: str) -> tuple[int, int] | None:
    """(line, cells) of the table that takes the body's tables past MAX_TABLE_CELLS cells, else None.

    Read from the lines alone, without parsing: a table is a line with `|` over a delimiter row,
    and runs to a blank line; every row has as many cells as the delimiter row, as markdown-it
    builds it. `cells` counts every table up to and including that one; lines count from 1.
    """
    lines = body.split("\n")
    total = 0
    fence = ""  # the ``` or ~~~ of the code block being read, whose lines are no table
    index = 0
    while index < len(lines):
        text = lines[index].lstrip(" \t>")  # tables in quotes and list items count too
        index += 1
        if fence:
            fence = "" if text.startswith(fence) else fence
            continue
        if opening := _FENCE.match(text):
            fence = opening.group(1)
            continue
        if "|" not in text or index >= len(lines) or not _DELIMITER_ROW.fullmatch(delimiter := lines[index].strip(" \t>")):
            continue
        columns = len(re.findall(r"-+", delimiter))
        header = index  # the header's line, counted from 1
        while index < len(lines) and lines[index].strip(" \t>"):
            index += 1
        total += columns * (index - header)
        if total > MAX_TABLE_CELLS:
            return header, total
    return None


# --- facts for later stages -------------------------------------------------------------------


def _collect(tokens: list[Token]) -> tuple[list[Heading], list[str], list[str], list[str]]:
    headings: list[Heading] = []
    links: list[str] = []
    images: list[str] = []
    paragraphs: list[str] = []
    in_heading = 0
    skip_depth = 0  # inside tables and footnotes, text is not part of the excerpt
    for index, token in enumerate(tokens):
        if token.type in ("table_open", "footnote_block_open"):
            skip_depth += 1
        elif token.type in ("table_close", "footnote_block_close"):
            skip_depth -= 1
        elif token.type == "heading_open":
            in_heading = int(token.tag[1])
        elif token.type == "heading_close":
            in_heading = 0
        if token.type != "inline":
            continue
        for child in token.children or []:
            if child.type == "link_open":
                links.append(str(child.attrs.get("href", "")))
            elif child.type == "image":
                images.append(str(child.attrs.get("src", "")))
        if in_heading:
            anchor = str(tokens[index - 1].attrs.get("id", ""))
            headings.append(Heading(in_heading, anchor, inline_text(token.children or [])))
        elif not skip_depth:
            text = inline_text(token.children or [])
            if text:
                paragraphs.append(text)
    return headings, links, images, paragraphs


def inline_text(children: list[Token]) -> str:
    """The plain text of an inline run: no Markdown or HTML syntax, no spaces between CJK characters."""
    parts: list[str] = []
    for token in children:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    text = "".join(parts)
    # A line break becomes a space only between two narrow characters (English words).
    text = re.sub(r"(?<=(.))\n(?=(.))", lambda m: "" if joins_without_space(m.group(1), m.group(2)) else " ", text)
    return re.sub(r"[ \t\n]+", " ", text).strip()


def count_characters(text: str) -> int:
    """字数: each CJK character counts one, each run of Latin letters or digits counts one."""
    # Each distinct character is classified once: an article has thousands of characters but a
    # few hundred distinct ones, and is_wide() is cached per character.
    wide = sum(count for char, count in Counter(text).items() if is_wide(char) and char.isalnum())
    return wide + len(_LATIN_WORD.findall(text))


_LATIN_WORD = re.compile(r"[A-Za-z0-9]+")
