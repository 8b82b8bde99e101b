"""Stage 3: render an article's Markdown body to safe HTML and to plain text for excerpts.

`render_markdown()` is a pure function of the Markdown text, so its result can be cached by the
text's hash and computed in worker processes.
"""

from __future__ import annotations

import html as html_entities
import re
import sys
import unicodedata
from bisect import bisect_right
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
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .text import (
    is_wide,
    join_cjk_aware,
    joins_without_space,
    make_excerpt,
    text_sketch,
)
from .workers import run_chunks


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
    unlabelled_images: tuple[str, ...] = ()  # images written with an empty alt: ![](x.jpg), <img src="x.jpg">


class BodyPage(NamedTuple):
    """What an article's own page shows of its body, kept in the body store until pages render."""

    html: str
    headings: tuple[Heading, ...]


# Bump when the same Markdown would render to different HTML (a sanitiser rule, a plugin), so that
# bodies cached under the old rules are rendered again rather than served.
RENDERER_VERSION = 6

# The title each callout kind (`> [!NOTE]`) shows, in the order GitHub lists them. A site rewords
# them through render_markdown(callout_titles=...); a kind it leaves out keeps this title.
CALLOUT_TITLES: Mapping[str, str] = {
    "note": "\u6ce8\u610f",  # 注意
    "tip": "\u63d0\u793a",  # 提示
    "important": "\u91cd\u8981",  # 重要
    "warning": "\u8b66\u544a",  # 警告
    "caution": "\u5f53\u5fc3",  # 当心
}

# C0 controls other than tab and line ends, DEL, C1 controls and the noncharacters U+FFFE/U+FFFF:
# invisible in a browser, and not allowed in the XML of the feeds.
_INVISIBLE_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def render_markdown(text: str, callout_titles: Mapping[str, str] | None = None) -> RenderedBody:
    """Render Markdown to sanitised HTML plus the plain text, headings and links it contains.

    `callout_titles` rewords the titles of CALLOUT_TITLES (keys `note`, `tip`, `important`,
    `warning`, `caution`); a body cached under other titles must be rendered again.
    """
    md = _markdown()
    env: dict = {_CALLOUT_TITLES: {**CALLOUT_TITLES, **(callout_titles or {})}}
    tokens = md.parse(_INVISIBLE_CONTROLS.sub("", text), env)
    html = sanitize_html(md.renderer.render(tokens, md.options, env))
    headings, links, images, paragraphs, unlabelled = _collect(tokens)
    plain = join_cjk_aware(paragraphs, sentence_end=True)
    sanitised = tuple(dict.fromkeys(env.get(_SANITISED, ())))
    return RenderedBody(
        html, plain, tuple(headings), tuple(links), tuple(images), count_characters(plain), text_sketch(plain),
        sanitised=sanitised, unlabelled_images=tuple(unlabelled),
    )


def render_bodies(
    articles: Sequence[tuple[str, str]],
    store,
    known: Mapping[str, RenderedBody],
    jobs: int = 1,
    excerpt_length: int = 120,
    callout_titles: Mapping[str, str] | None = None,
) -> list[RenderedBody]:
    """Render (key, Markdown) pairs; the page parts go to `store`, the facts come back without them.

    The facts carry the excerpt of `excerpt_length` characters and no text, HTML or headings:
    they are what every later stage needs of every article, so they are kept small. Bodies whose
    key is in `known` are not rendered again. The rest are rendered on up to `jobs` processes,
    which write to the store themselves when it lives on disk. `callout_titles` as for
    render_markdown().
    """
    facts: dict[str, RenderedBody] = {key: known[key] for key, _ in articles if key in known}
    pending = list({key: text for key, text in articles if key not in facts}.items())
    if len(pending) > 60:
        import numpy  # noqa: F401  text_sketch() vectorises once numpy is loaded: worth its import here
    for results in run_chunks(_render_chunk, pending, shared=(store, excerpt_length, dict(callout_titles or {})), jobs=jobs, minimum=100):
        for key, body, page in results:
            if page is not None:
                store.put(key, page)
            facts[key] = body
    return [facts[key] for key, _ in articles]


def _render_chunk(shared: tuple, items: Sequence[tuple[str, str]]) -> list[tuple[str, RenderedBody, BodyPage | None]]:
    store, excerpt_length, callout_titles = shared
    results = []
    for key, text in items:
        body = render_markdown(text, callout_titles)
        page: BodyPage | None = BodyPage(body.html, body.headings)
        if store.persistent:
            store.put(key, page)
            page = None
        facts = replace(body, html="", text="", headings=(), excerpt=excerpt_of(text, body.text, excerpt_length, callout_titles))
        results.append((key, facts, page))
    return results


MORE = "<!--more-->"  # Hugo's and Jekyll's end of the summary
# A Hugo shortcode left in a body (content.body_warnings warns of it): the page shows it as
# text, but a meta description or card must not.
_SHORTCODE_TEXT = re.compile(r"\{\{([<%]).*?\1\}\}", re.S)


def excerpt_of(markdown: str, plain: str, limit: int, callout_titles: Mapping[str, str] | None = None) -> str:
    """The excerpt of a body: its text up to `<!--more-->` when it has one, else the start of
    `plain` cut at `limit`; never a shortcode."""
    if MORE in markdown:
        before = _SHORTCODE_TEXT.sub("", render_markdown(markdown[: markdown.index(MORE)], callout_titles).text)
        return make_excerpt(before, max(limit, min(len(before), 1000)))  # the editor chose where it ends
    return make_excerpt(_SHORTCODE_TEXT.sub("", plain) if "{{" in plain else plain, limit)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(deflist_plugin)
    md.use(stray_raw_html)
    md.use(cjk_linkify)  # after stray_raw_html: both follow "inline", and this one must run first
    md.use(task_lists)
    md.use(callouts)
    md.use(heading_ids_as_written)
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
    taken |= _footnote_ids(state.env)
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


def _footnote_ids(env: Mapping) -> set[str]:
    """The ids the footnote plugin gives its notes and references, which no heading may take."""
    numbers = [index + 1 for index in env.get("footnotes", {}).get("list", {})]
    return {f"fn{n}" for n in numbers} | {f"fnref{n}" for n in numbers}


# `## 门诊 {#menzhen}`, as Pandoc, kramdown and Hugo write an id: letters, digits, `_` and `-`.
_ID_AS_WRITTEN = re.compile(r"[ \t]*\{#([\w-]+)\}[ \t]*$")


def heading_ids_as_written(md: MarkdownIt) -> None:
    """`{#id}` at the end of a heading sets its id (at any level), made unique like the others."""
    md.core.ruler.push("heading_ids_as_written", _ids_as_written)


def _ids_as_written(state: StateCore) -> None:
    tokens = state.tokens
    taken = _footnote_ids(state.env)
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        children = tokens[index + 1].children or []
        if not children or children[-1].type != "text" or (match := _ID_AS_WRITTEN.search(children[-1].content)) is None:
            continue
        last = children[-1]
        last.content = last.content[: match.start()]
        tokens[index + 1].content = _ID_AS_WRITTEN.sub("", tokens[index + 1].content)
        anchor, suffix = match.group(1), 1
        while anchor in taken:  # the same id twice would make the second heading unreachable
            anchor, suffix = f"{match.group(1)}-{suffix}", suffix + 1
        taken.add(anchor)
        token.attrSet("id", anchor)


# --- task lists -------------------------------------------------------------------------------
# `- [ ] 带身份证` and `- [x] 已预约`: the material checklists of every 办事指南, as GitHub shows
# them. The box is a token of its own, not raw HTML, so the raw-HTML rules never see it and no
# editor can write an <input> (see _RAW_HTML_TAGS).

_TASK_MARKER = re.compile(r"\[([ xX])\](?:[ \t]+|$)")


def task_lists(md: MarkdownIt) -> None:
    md.core.ruler.push("task_lists", _find_task_items)
    md.add_render_rule("task_checkbox", _render_task_checkbox)


def _find_task_items(state: StateCore) -> None:
    tokens = state.tokens
    lists: list[Token] = []  # the lists the token being read is in, innermost last
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append(token)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open" and index + 2 < len(tokens) and tokens[index + 1].type == "paragraph_open":
            inline = tokens[index + 2]
            children = inline.children or []
            match = _TASK_MARKER.match(children[0].content) if children and children[0].type == "text" else None
            if match is None or (match.end() == len(children[0].content) and len(children) == 1):
                continue  # `- [ ]` with nothing to do is left as written
            children[0].content = children[0].content[match.end() :]
            box = Token("task_checkbox", "input", 0)
            box.meta["checked"] = match.group(1) != " "
            children.insert(0, box)
            token.attrJoin("class", "task-list-item")
            if "contains-task-list" not in str(lists[-1].attrs.get("class", "")):
                lists[-1].attrJoin("class", "contains-task-list")


def _render_task_checkbox(self, tokens: Sequence[Token], index: int, options, env) -> str:
    return '<input type="checkbox" disabled checked>' if tokens[index].meta["checked"] else '<input type="checkbox" disabled>'


# --- callouts ---------------------------------------------------------------------------------
# `> [!WARNING]` on a quote's first line makes it a callout, as on GitHub: 注意事项 and 何时立即
# 就医 stand out from the text. Its title is the site's word for the kind (CALLOUT_TITLES).

_CALLOUT_MARKER = re.compile(r"\[!(note|tip|important|warning|caution)\][ \t]*(?:\n|$)", re.IGNORECASE)
_CALLOUT_TITLES = "sitegen_callout_titles"  # env key: the titles of this render


def callouts(md: MarkdownIt) -> None:
    md.core.ruler.after("block", "callouts", _find_callouts)
    md.add_render_rule("callout_title", _render_callout_title)


def _find_callouts(state: StateCore) -> None:
    tokens = state.tokens
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token.type != "blockquote_open" or tokens[index].type != "paragraph_open":
            continue
        inline = tokens[index + 1]
        match = _CALLOUT_MARKER.match(inline.content)
        if match is None:
            continue
        kind = match.group(1).lower()
        close = next(t for t in tokens[index:] if t.type == "blockquote_close" and t.level == token.level)
        for end, tag in ((token, "callout_open"), (close, "callout_close")):
            end.type, end.tag = tag, "div"
        token.attrSet("class", f"callout callout-{kind}")
        title = Token("callout_title", "p", 0)
        title.meta["kind"], title.block, title.level = kind, True, token.level + 1
        inline.content = inline.content[match.end() :]
        if inline.map:
            inline.map = [inline.map[0] + 1, inline.map[1]]  # the lines of raw HTML in it stay right
        if inline.content.strip():
            tokens.insert(index, title)
        else:  # the marker was all the paragraph held
            tokens[index : index + 3] = [title]


def _render_callout_title(self, tokens: Sequence[Token], index: int, options, env) -> str:
    kind = tokens[index].meta["kind"]
    title = env.get(_CALLOUT_TITLES, CALLOUT_TITLES).get(kind) or CALLOUT_TITLES[kind]
    return f'<p class="callout-title">{html_entities.escape(title)}</p>\n'


# --- bare URLs and e-mail addresses in Chinese text -------------------------------------------
# `访问https://example.com查询` links only `https://example.com`: a Chinese character or a
# full-width mark (`。`, `）`) ends an address, where GitHub's autolinks run on to the next space.
# Our own rule, rather than markdown-it's linkify (which needs linkify-it-py and is made for
# text with spaces). Addresses are found in text after inline parsing, outside links and code.

_AUTOLINK_START = re.compile(r"(?<![A-Za-z0-9_+.\-@/])(?:(https?://)|(www\.)|([A-Za-z0-9._%+\-]+)@)", re.IGNORECASE)
_HOST = re.compile(r"(?:[A-Za-z0-9_\-]+\.)+[A-Za-z0-9_\-]+(?::\d{1,5})?")  # no IDN: 例子.中国 is text
_TRAILING = "?!.,:;*_~'\""  # ends a sentence more often than an address, as GFM reads it


def _address_character(char: str) -> bool:
    if char.isascii():
        return char > " " and char not in '<>"`\x7f'
    # Accented and other narrow letters stay (`Müller`); CJK text and full-width marks end it.
    return not is_wide(char) and unicodedata.category(char)[0] in "LNM"


def _autolinks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, href) of each bare URL (http, https, www.) and e-mail address in `text`."""
    found = []
    position = 0
    while (match := _AUTOLINK_START.search(text, position)) is not None:
        end = match.end()
        while end < len(text) and _address_character(text[end]):
            end += 1
        address = text[match.start() : end]
        if match.group(3) is not None:  # e-mail: only host characters after the @
            domain = _HOST.match(text, match.end())
            address = text[match.start() : domain.end()] if domain else ""
            address = address.rstrip(".")
            valid = bool(domain) and "." in address.rsplit("@", 1)[1] and not address.endswith(("-", "_"))
            href = "mailto:" + address
        else:
            while address and (address[-1] in _TRAILING or (address[-1] == ")" and address.count(")") > address.count("("))):
                address = address[:-1]
            valid = bool(_HOST.match(address, len(match.group(1) or "")))
            href = address if match.group(1) else "http://" + address
        if valid:
            found.append((match.start(), match.start() + len(address), href))
            position = match.start() + len(address)
        else:
            position = match.end()
    return found


def cjk_linkify(md: MarkdownIt) -> None:
    md.core.ruler.after("inline", "cjk_linkify", _linkify)


_HTML_LINK = re.compile(r"<(/?)a(?=[\s>/])", re.IGNORECASE)


def _linkify(state: StateCore) -> None:
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        depth = 0  # inside [text](url), <https://…> or raw <a>…</a>, nothing more is linked
        for child in block.children:
            if child.type in ("link_open", "link_close"):
                depth += 1 if child.type == "link_open" else -1
            elif child.type == "html_inline" and (tag := _HTML_LINK.match(child.content)):
                depth += -1 if tag.group(1) else 1
            if child.type != "text" or depth > 0 or not _may_hold_address(child.content):
                children.append(child)
                continue
            done = 0
            for start, end, href in _autolinks(child.content):
                children += _text_token(child, child.content[done:start])
                opening = Token("link_open", "a", 1)
                opening.attrSet("href", state.md.normalizeLink(href))
                opening.markup, opening.info = "linkify", "auto"
                closing = Token("link_close", "a", -1)
                closing.markup, closing.info = "linkify", "auto"
                children += [opening, *_text_token(child, child.content[start:end]), closing]
                done = end
            children += _text_token(child, child.content[done:])
        block.children = children


def _may_hold_address(text: str) -> bool:
    return "@" in text or "://" in text or "www." in text.lower()


def _text_token(like: Token, content: str) -> list[Token]:
    if not content:
        return []
    token = Token("text", "", 0)
    token.content, token.level = content, like.level
    return [token]


# --- CJK-friendly emphasis -------------------------------------------------------------------
# CommonMark's flanking rules do not open or close `**` between Chinese punctuation and a Chinese
# character (`**可以用。**广州`), leaving literal asterisks. markdown-cjk-friendly's amendment
# (specification.md of tats-u/markdown-cjk-friendly, as markdown-it-cjk-friendly 3.0.0 applies it)
# lets a delimiter run next to a CJK character flank on both sides. Which characters are CJK is
# the whole difficulty: width W/F/H or Hangul, but not a default-emoji character (🈯 ⌚ are
# emoji, 🈂 〽 are CJK unless U+FE0F makes them emoji), and a variation selector after a
# character (葛󠄀, 。︁) belongs to that character.

_NOT_CJK, _CJK, _AMBIGUOUS, _EMOJI_OR_CJK = range(4)
_GENERAL_SELECTORS = ("\ufe00", "\ufe0e")  # U+FE00-FE0E: every general-use selector but the emoji one
_TEXT_SELECTOR, _EMOJI_SELECTOR, _FULLWIDTH_SELECTOR = "\ufe0e", "\ufe0f", "\ufe01"
_QUOTATION_MARKS = "\u2018\u2019\u201c\u201d"  # width A; U+FE01 asks for their full-width form


@lru_cache(maxsize=8192)
def _cjk_kind(char: str) -> int:
    """What a character is before its neighbours are looked at: CJK, not, or it depends on them."""
    code = ord(char)
    if code < 0x1100:  # nothing CJK comes before Hangul Jamo
        return _NOT_CJK
    width = unicodedata.east_asian_width(char)
    if width in ("F", "H"):
        return _CJK
    if width == "W":
        return _EMOJI_OR_CJK if _in_ranges(_EMOJI, code) else _CJK
    if width == "A":  # ideographic variation selectors and quotation marks, decided by context
        return _AMBIGUOUS
    return _CJK if "HANGUL" in unicodedata.name(char, "") else _NOT_CJK  # Jamo fillers are width N


def _is_default_emoji(char: str) -> bool:
    return _in_ranges(_EMOJI_PRESENTATION, ord(char))


def _cjk_after(char: str, following: str) -> bool:
    """Whether `char`, just after a delimiter run and followed by `following`, starts a CJK sequence."""
    kind = _cjk_kind(char)
    if kind == _AMBIGUOUS:
        return char in _QUOTATION_MARKS and following == _FULLWIDTH_SELECTOR
    if kind == _EMOJI_OR_CJK:  # 🈯︎ and 〽 are text, 🈯 and 〽️ are emoji
        return following == _TEXT_SELECTOR if _is_default_emoji(char) else following != _EMOJI_SELECTOR
    return kind == _CJK


def _cjk_before(char: str, selector: str) -> bool:
    """Whether `char` ends a CJK sequence just before a delimiter run, with `selector` (a general-use
    variation selector, or "") between them."""
    kind = _cjk_kind(char)
    if kind == _AMBIGUOUS:
        if selector:
            return char in _QUOTATION_MARKS and selector == _FULLWIDTH_SELECTOR
        return 0xE0100 <= ord(char) <= 0xE01EF  # an ideographic variation selector ends its ideograph
    if kind == _EMOJI_OR_CJK:
        return not _is_default_emoji(char) or selector == _TEXT_SELECTOR
    return kind == _CJK


def _is_punctuation(char: str) -> bool:
    return isMdAsciiPunct(ord(char)) or isPunctChar(char)


class CjkFriendlyStateInline(StateInline):
    def scanDelims(self, start: int, canSplitWord: bool) -> Scanned:
        src, maximum = self.src, self.posMax
        marker = src[start]
        last = src[start - 1] if start > 0 else " "
        selector = ""
        before = main_last = last  # the character the run follows, skipping a variation selector
        if _GENERAL_SELECTORS[0] <= last <= _GENERAL_SELECTORS[1]:
            selector, before = last, src[start - 2] if start > 1 else " "
            if unicodedata.category(before) != "Zs":  # a selector after a space stays a character
                main_last = before
        position = start
        while position < maximum and src[position] == marker:
            position += 1
        count = position - start
        following = src[position] if position < maximum else " "

        last_space, next_space = isWhiteSpace(ord(main_last)), isWhiteSpace(ord(following))
        if last_space or next_space:
            return Scanned(not next_space, not last_space, count)
        last_punct, next_punct = _is_punctuation(main_last), _is_punctuation(following)
        left_flanking, right_flanking = last_punct, next_punct  # `_` inside words stays literal
        if canSplitWord:
            after_following = src[position + 1] if position + 1 < maximum else " "
            beside_cjk = _cjk_after(following, after_following) or _cjk_before(before, selector)
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
    "tr", "th", "td", "details", "summary", "section", "input", "picture", "source",
}  # fmt: skip
# Raw HTML may hold the same tags but <input>, which only a task list's box may be.
_RAW_HTML_TAGS = _ALLOWED_TAGS - {"input"}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "width", "height", "srcset", "sizes", "loading", "decoding"},
    "source": {"srcset", "sizes", "type", "media", "width", "height"},
    "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "li": {"id"},
    "ol": {"start"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "abbr": {"title"},
    "details": {"open"},
    "input": {"type", "disabled", "checked"},
    "code": {"class"},  # language-xxx only, see _filter_attribute
}  # fmt: skip
_GENERIC_ATTRIBUTES = {"lang", "title"}  # nh3 keeps these on every tag it keeps
_ALLOWED_CLASSES = {
    "th": {"align-left", "align-center", "align-right"},
    "td": {"align-left", "align-center", "align-right"},
    "hr": {"footnotes-sep"},
    "section": {"footnotes"},
    "ol": {"footnotes-list"},
    "li": {"footnote-item", "task-list-item"},
    "sup": {"footnote-ref"},
    "a": {"footnote-backref"},
    "ul": {"contains-task-list"},
    "div": {"callout", *(f"callout-{kind}" for kind in CALLOUT_TITLES)},
    "p": {"callout-title"},
}
# A fence's language, as markdown-it writes it (`language-` + the info word): any short name a
# highlighter might know (c++, objective-c, f#), never an empty or odd class.
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.\-]{1,30}")


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
        attribute_filter=_filter_attribute,
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


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "class":  # nh3 checks classes against _ALLOWED_CLASSES; <code> has its own rule
        return _classes_kept(element, value) or None
    if element == "input":  # the box of a task list, or nothing
        return value if attribute != "type" or value == "checkbox" else None
    if attribute in _KEYWORD_VALUES:
        return value if value.strip().lower() in _KEYWORD_VALUES[attribute] else None
    if attribute == "srcset":  # every candidate's URL passes the rule of a src, or none is kept
        urls = [candidate.split()[0] for candidate in value.split(",") if candidate.strip()]
        return value if urls and all(_check_url("img", "src", url) is not None for url in urls) else None
    return _check_url(element, attribute, value)


# Attributes whose value is one of a few keywords (an image's loading and decoding hints).
_KEYWORD_VALUES = {"loading": {"lazy", "eager"}, "decoding": {"async", "sync", "auto"}}


def _classes_kept(element: str, value: str) -> str:
    allowed = _ALLOWED_CLASSES.get(element, ())
    return " ".join(c for c in value.split() if c in allowed or (element == "code" and _LANGUAGE_CLASS.fullmatch(c)))


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
    # nh3 hands an exception raised in its call of the attribute filter to sys.unraisablehook
    # ("Exception ignored in") and goes on: a Ctrl-C or SIGTERM landing there, even on the
    # filter's first instruction, would be printed and lost, and the build or serve never
    # stopped. It is held while clean() runs and raised once it returns.
    held: list[BaseException] = []
    shown = sys.unraisablehook

    def hold(unraisable) -> None:
        if isinstance(unraisable.exc_value, (KeyboardInterrupt, SystemExit)):
            held.append(unraisable.exc_value)
        else:
            shown(unraisable)

    sys.unraisablehook = hold
    try:
        cleaned = _cleaner().clean(html)
    finally:
        sys.unraisablehook = shown
    if held:
        raise held[0]
    return cleaned


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
        if tag and tag.group(2).lower() not in _RAW_HTML_TAGS:
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
            if _classes_kept(name, value) != " ".join(value.split()):
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


# An <img> in raw HTML and its src, as the sanitiser will keep it (html5ever reads any quoting).
_RAW_IMG = re.compile(r"""<img\b[^>]*?\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))[^>]*>""", re.IGNORECASE)
_RAW_ALT = re.compile(r"""\salt\s*=\s*(?:"\s*[^"\s][^"]*"|'\s*[^'\s][^']*'|[^\s>"']+)""", re.IGNORECASE)


def _raw_images(markup: str, images: list[str], unlabelled: list[str]) -> None:
    for match in _RAW_IMG.finditer(markup):
        src = html_entities.unescape(next(g for g in match.groups() if g is not None)).strip()
        images.append(src)
        if not _RAW_ALT.search(match.group()):
            unlabelled.append(src)


def _collect(tokens: list[Token]) -> tuple[list[Heading], list[str], list[str], list[str], list[str]]:
    headings: list[Heading] = []
    links: list[str] = []
    images: list[str] = []
    unlabelled: list[str] = []
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
        if token.type == "html_block" and "<img" in token.content.lower():
            _raw_images(token.content, images, unlabelled)
        if token.type != "inline":
            continue
        for child in token.children or []:
            if child.type == "link_open":
                links.append(str(child.attrs.get("href", "")))
            elif child.type == "image":
                images.append(str(child.attrs.get("src", "")))
                if not child.content.strip():
                    unlabelled.append(images[-1])
            elif child.type == "html_inline" and "<img" in child.content.lower():
                _raw_images(child.content, images, unlabelled)
        if in_heading:
            anchor = str(tokens[index - 1].attrs.get("id", ""))
            headings.append(Heading(in_heading, anchor, inline_text(token.children or [])))
        elif not skip_depth:
            text = inline_text(token.children or [])
            if text:
                paragraphs.append(text)
    return headings, links, images, paragraphs, unlabelled


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


# --- Unicode emoji properties ----------------------------------------------------------------
# Python's unicodedata has no emoji properties. Generated from Unicode's emoji-data.txt, Emoji
# Version 15.0 (2022-08-02, Debian's unicode-data 15.0.0), by merging each property's ranges and
# keeping those from U+1100 on (below it nothing is CJK, so nothing is asked).


def _ranges(*bounds: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(first code points, last code points) of the inclusive ranges given as first, last, first, last…"""
    return bounds[0::2], bounds[1::2]


def _in_ranges(ranges: tuple[tuple[int, ...], tuple[int, ...]], code: int) -> bool:
    firsts, lasts = ranges
    index = bisect_right(firsts, code) - 1
    return index >= 0 and code <= lasts[index]


_EMOJI = _ranges(
    0x203C, 0x203C, 0x2049, 0x2049, 0x2122, 0x2122, 0x2139, 0x2139, 0x2194, 0x2199, 0x21A9, 0x21AA, 0x231A, 0x231B, 0x2328, 0x2328, 0x23CF, 0x23CF,
    0x23E9, 0x23F3, 0x23F8, 0x23FA, 0x24C2, 0x24C2, 0x25AA, 0x25AB, 0x25B6, 0x25B6, 0x25C0, 0x25C0, 0x25FB, 0x25FE, 0x2600, 0x2604, 0x260E, 0x260E,
    0x2611, 0x2611, 0x2614, 0x2615, 0x2618, 0x2618, 0x261D, 0x261D, 0x2620, 0x2620, 0x2622, 0x2623, 0x2626, 0x2626, 0x262A, 0x262A, 0x262E, 0x262F,
    0x2638, 0x263A, 0x2640, 0x2640, 0x2642, 0x2642, 0x2648, 0x2653, 0x265F, 0x2660, 0x2663, 0x2663, 0x2665, 0x2666, 0x2668, 0x2668, 0x267B, 0x267B,
    0x267E, 0x267F, 0x2692, 0x2697, 0x2699, 0x2699, 0x269B, 0x269C, 0x26A0, 0x26A1, 0x26A7, 0x26A7, 0x26AA, 0x26AB, 0x26B0, 0x26B1, 0x26BD, 0x26BE,
    0x26C4, 0x26C5, 0x26C8, 0x26C8, 0x26CE, 0x26CF, 0x26D1, 0x26D1, 0x26D3, 0x26D4, 0x26E9, 0x26EA, 0x26F0, 0x26F5, 0x26F7, 0x26FA, 0x26FD, 0x26FD,
    0x2702, 0x2702, 0x2705, 0x2705, 0x2708, 0x270D, 0x270F, 0x270F, 0x2712, 0x2712, 0x2714, 0x2714, 0x2716, 0x2716, 0x271D, 0x271D, 0x2721, 0x2721,
    0x2728, 0x2728, 0x2733, 0x2734, 0x2744, 0x2744, 0x2747, 0x2747, 0x274C, 0x274C, 0x274E, 0x274E, 0x2753, 0x2755, 0x2757, 0x2757, 0x2763, 0x2764,
    0x2795, 0x2797, 0x27A1, 0x27A1, 0x27B0, 0x27B0, 0x27BF, 0x27BF, 0x2934, 0x2935, 0x2B05, 0x2B07, 0x2B1B, 0x2B1C, 0x2B50, 0x2B50, 0x2B55, 0x2B55,
    0x3030, 0x3030, 0x303D, 0x303D, 0x3297, 0x3297, 0x3299, 0x3299, 0x1F004, 0x1F004, 0x1F0CF, 0x1F0CF, 0x1F170, 0x1F171, 0x1F17E, 0x1F17F,
    0x1F18E, 0x1F18E, 0x1F191, 0x1F19A, 0x1F1E6, 0x1F1FF, 0x1F201, 0x1F202, 0x1F21A, 0x1F21A, 0x1F22F, 0x1F22F, 0x1F232, 0x1F23A, 0x1F250, 0x1F251,
    0x1F300, 0x1F321, 0x1F324, 0x1F393, 0x1F396, 0x1F397, 0x1F399, 0x1F39B, 0x1F39E, 0x1F3F0, 0x1F3F3, 0x1F3F5, 0x1F3F7, 0x1F4FD, 0x1F4FF, 0x1F53D,
    0x1F549, 0x1F54E, 0x1F550, 0x1F567, 0x1F56F, 0x1F570, 0x1F573, 0x1F57A, 0x1F587, 0x1F587, 0x1F58A, 0x1F58D, 0x1F590, 0x1F590, 0x1F595, 0x1F596,
    0x1F5A4, 0x1F5A5, 0x1F5A8, 0x1F5A8, 0x1F5B1, 0x1F5B2, 0x1F5BC, 0x1F5BC, 0x1F5C2, 0x1F5C4, 0x1F5D1, 0x1F5D3, 0x1F5DC, 0x1F5DE, 0x1F5E1, 0x1F5E1,
    0x1F5E3, 0x1F5E3, 0x1F5E8, 0x1F5E8, 0x1F5EF, 0x1F5EF, 0x1F5F3, 0x1F5F3, 0x1F5FA, 0x1F64F, 0x1F680, 0x1F6C5, 0x1F6CB, 0x1F6D2, 0x1F6D5, 0x1F6D7,
    0x1F6DC, 0x1F6E5, 0x1F6E9, 0x1F6E9, 0x1F6EB, 0x1F6EC, 0x1F6F0, 0x1F6F0, 0x1F6F3, 0x1F6FC, 0x1F7E0, 0x1F7EB, 0x1F7F0, 0x1F7F0, 0x1F90C, 0x1F93A,
    0x1F93C, 0x1F945, 0x1F947, 0x1F9FF, 0x1FA70, 0x1FA7C, 0x1FA80, 0x1FA88, 0x1FA90, 0x1FABD, 0x1FABF, 0x1FAC5, 0x1FACE, 0x1FADB, 0x1FAE0, 0x1FAE8,
    0x1FAF0, 0x1FAF8,
)  # fmt: skip
_EMOJI_PRESENTATION = _ranges(
    0x231A, 0x231B, 0x23E9, 0x23EC, 0x23F0, 0x23F0, 0x23F3, 0x23F3, 0x25FD, 0x25FE, 0x2614, 0x2615, 0x2648, 0x2653, 0x267F, 0x267F, 0x2693, 0x2693,
    0x26A1, 0x26A1, 0x26AA, 0x26AB, 0x26BD, 0x26BE, 0x26C4, 0x26C5, 0x26CE, 0x26CE, 0x26D4, 0x26D4, 0x26EA, 0x26EA, 0x26F2, 0x26F3, 0x26F5, 0x26F5,
    0x26FA, 0x26FA, 0x26FD, 0x26FD, 0x2705, 0x2705, 0x270A, 0x270B, 0x2728, 0x2728, 0x274C, 0x274C, 0x274E, 0x274E, 0x2753, 0x2755, 0x2757, 0x2757,
    0x2795, 0x2797, 0x27B0, 0x27B0, 0x27BF, 0x27BF, 0x2B1B, 0x2B1C, 0x2B50, 0x2B50, 0x2B55, 0x2B55, 0x1F004, 0x1F004, 0x1F0CF, 0x1F0CF,
    0x1F18E, 0x1F18E, 0x1F191, 0x1F19A, 0x1F1E6, 0x1F1FF, 0x1F201, 0x1F201, 0x1F21A, 0x1F21A, 0x1F22F, 0x1F22F, 0x1F232, 0x1F236, 0x1F238, 0x1F23A,
    0x1F250, 0x1F251, 0x1F300, 0x1F320, 0x1F32D, 0x1F335, 0x1F337, 0x1F37C, 0x1F37E, 0x1F393, 0x1F3A0, 0x1F3CA, 0x1F3CF, 0x1F3D3, 0x1F3E0, 0x1F3F0,
    0x1F3F4, 0x1F3F4, 0x1F3F8, 0x1F43E, 0x1F440, 0x1F440, 0x1F442, 0x1F4FC, 0x1F4FF, 0x1F53D, 0x1F54B, 0x1F54E, 0x1F550, 0x1F567, 0x1F57A, 0x1F57A,
    0x1F595, 0x1F596, 0x1F5A4, 0x1F5A4, 0x1F5FB, 0x1F64F, 0x1F680, 0x1F6C5, 0x1F6CC, 0x1F6CC, 0x1F6D0, 0x1F6D2, 0x1F6D5, 0x1F6D7, 0x1F6DC, 0x1F6DF,
    0x1F6EB, 0x1F6EC, 0x1F6F4, 0x1F6FC, 0x1F7E0, 0x1F7EB, 0x1F7F0, 0x1F7F0, 0x1F90C, 0x1F93A, 0x1F93C, 0x1F945, 0x1F947, 0x1F9FF, 0x1FA70, 0x1FA7C,
    0x1FA80, 0x1FA88, 0x1FA90, 0x1FABD, 0x1FABF, 0x1FAC5, 0x1FACE, 0x1FADB, 0x1FAE0, 0x1FAE8, 0x1FAF0, 0x1FAF8,
)  # fmt: skip
