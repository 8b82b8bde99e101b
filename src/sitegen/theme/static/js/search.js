// Site search on the Pagefind index that `sitegen build` writes to /pagefind/ (sitegen/search.py).
//
// The build cut every text into words with jieba and indexed them under the language code "zz",
// which Pagefind splits on spaces only. This script cuts the query the same way: traditional
// characters to simplified (the build's table), then the longest word of the index's word list
// at each place (医保, not 医 and 保). A character the index never holds means no article has it,
// so nothing is found, rather than Pagefind quietly dropping it and matching the rest.
// Results are built with DOM methods only: no text from the index is inserted as markup.
const PAGE_SIZE = 10;
const FIRST_FRAGMENTS = 3; // cards whose fragments are fetched before the others (a phone's screen)
const OTHER_CUTS = 5; // ways to cut a query tried after the first finds nothing
// Words of a question, left out when a query finds nothing with them: readers type 孩子发烧怎么办
// and 胃镜前要空腹吗, and few articles say 怎么办 or 吗.
// Beside these, every word that starts with 怎, 哪, 几 or 多少 (isQuestionWord).
const QUESTION_WORDS = new Set(
  ("如何 什么 为什么 为何 多久 吗 呢 吧 啊 呀 嘛 了 的 是否 能否 能不能 可不可以 是不是 要不要 " +
    "会不会 有没有 需不需要 可以 需要 应该 还能 能 要 会 该").split(" "),
);
const EXCERPT_LENGTH = 110; // characters of the body a card shows (three lines on a phone)
const form = document.getElementById("search-form");
const input = document.getElementById("search-input");
const topicSelect = document.getElementById("search-topic");
const citySelect = document.getElementById("search-city");
const list = document.getElementById("search-results");
const status = document.getElementById("search-status");
const more = document.getElementById("search-more");
const bundle = list.dataset.bundle;

const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;
const RUNS = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9a-z\u00c0-\u024f]+/gu;
const LATIN = /[0-9A-Za-z\u00c0-\u024f]/u;

// pagefind-entry.json, which names the current index, is fetched as ?ts=<this>, an address of
// this page load's own: the page fetches it first and Pagefind's worker, which asks for it
// after, finds it in the HTTP cache (netlify.toml lets browsers keep it for five minutes; a
// later load asks at another address, so it is never stale). At a fixed address it had to be
// revalidated on every use: a round trip on the worker's way to its first results.
const ENTRY_TAG = Date.now().toString(36);

let engine = null; // { pagefind, words, shards, sorted, count, longest, whole, t2s, chunks, filtersLoaded }
let current = null; // { found (a promise on a 大家都在搜 page), next, skip, pieces }
let searchCount = 0;

// Started as soon as this script runs, query or not, so that a reader's first search finds
// Pagefind ready. Pagefind runs in its worker, so that unzipping its WebAssembly and index and
// searching them never hold up this page (in the page's own thread they were long tasks of
// 100-400 ms on a phone, and Lighthouse's blocking time went from 170 to 880 ms). The worker
// fetches through the HTTP cache, which the page's preloads have filled by then: what it asks
// for costs a revalidation, not the download.
function loadEngine() {
  engine ||= startEngine();
  return engine;
}

async function startEngine() {
  try {
    return await makeEngine();
  } catch (error) {
    engine = null; // the next search tries again (a dropped connection, say)
    throw error;
  }
}

// Pagefind's worker fetches the entry, the index's metadata and the WebAssembly through the
// HTTP cache. The page takes search.html's preloads of the WebAssembly and the worker's own
// script (a preload serves this page's own fetches only; Pagefind starts the worker only once
// pagefind.js has run), fetches the entry, and fetches the metadata, whose name holds a hash,
// as soon as the word list's head (or the entry) names it. netlify.toml lets browsers keep all
// of these for a while, so the worker finds them without a round trip.
function warmCache() {
  take("wasm.unknown.pagefind");
  take("pagefind-worker.js");
  fetch(`${bundle}pagefind-entry.json?ts=${ENTRY_TAG}`)
    .then((response) => response.json())
    .then((entry) => Object.values(entry.languages || {}).forEach((index) => take(`pagefind.${index.hash}.pf_meta`)))
    .catch(() => {}); // only a head start: the worker fetches what it needs regardless
}

// Fetches a file of the index into the HTTP cache, once a page load, for Pagefind's worker.
const taken = new Set();
function take(path) {
  if (taken.has(path)) return;
  taken.add(path);
  fetch(bundle + path)
    .then((response) => response.arrayBuffer())
    .catch(() => {});
}

async function makeEngine() {
  warmCache();
  const vocabulary = fetch(bundle + "sitegen-words/head.json")
    .then((response) => response.json())
    .then(({ shards: count, longest, whole, t2s: table, meta, chunks, pages: rows, index_whole: indexWhole }) => {
      if (meta) take(meta);
      const t2s = new Map();
      const pairs = Array.from(table);
      for (let i = 0; i + 1 < pairs.length; i += 2) t2s.set(pairs[i], pairs[i + 1]);
      // A small site's pages, by Pagefind's page id: a result's card goes in as soon as it is
      // ranked, its excerpt when its fragment is here (showMore).
      const pages = new Map((rows || []).map(([id, url, title, date, topic, city]) => [id, { url: fullUrl(url), title, date, topic, city }]));
      // The words come in shards, by their first character (word_shards in search.py): those a
      // query's characters start are fetched before it is cut (wordsFor), once each.
      return { words: new Set(), shards: new Map(), sorted: new Map(), count, longest, whole, t2s, chunks: chunks || [], pages, indexWhole };
    });
  // The query in the address is cut as soon as the word list is here, and the index chunks it
  // needs are fetched while Pagefind's script and WebAssembly are still arriving.
  const query = input.value;
  const loaded = await vocabulary;
  if (query) warmChunks(query, loaded).catch(() => {});
  const module = await import(bundle + "pagefind.js");
  // Pagefind takes the language from <html lang> (zh-CN here), not from its options, and would
  // then split the query with Intl.Segmenter: the index is "zz", so it must read "zz" while the
  // instance is made (the page's own lang is back at once). Making it starts its loading.
  const root = document.documentElement;
  const lang = root.getAttribute("lang");
  let pagefind;
  root.setAttribute("lang", "zz");
  try {
    pagefind = module.createInstance({ basePath: bundle, baseUrl: list.dataset.base, metaCacheTag: ENTRY_TAG });
  } finally {
    root.setAttribute("lang", lang);
  }
  return Object.assign(loaded, { pagefind, filtersLoaded: null });
}

// Fetches, into the HTTP cache, the index chunks Pagefind's worker will ask for to search
// `query`: those it picks for each word it is given (indexTerms, chunksOf), by the head's table
// of the index's chunks. A chunk guessed wrong costs its bytes, none is missed: the worker
// fetches what it needs regardless.
async function warmChunks(query, loaded) {
  const { chunks } = loaded;
  if (!chunks.length) return;
  const takeChunk = (name) => take(`index/${name}.pf_index`);
  // At once, before the word list's shards are here: a word typed starts with the word of the
  // index that begins with its first character (its Latin run), and where a single chunk holds
  // every word that begins so, that chunk is needed whatever the cut.
  for (const [run] of typedRuns(query, loaded.t2s)) {
    if (!run) continue;
    // A chunk's bounds are cut short (建 for 建议), but never below the first character of the
    // words in it: every chunk with a word that starts with `start` passes this test.
    const start = run[0];
    const holding = chunks.filter(([first, last]) => first <= `${start}\uffff` && last >= start);
    if (holding.length === 1) takeChunk(holding[0][2]);
  }
  await wordsFor(query, loaded);
  const groups = cutQuery(query, loaded);
  if (!groups) return;
  for (const word of indexTerms(loaded, groups).flat()) for (const [, , name] of chunksOf(word, chunks)) takeChunk(name);
}

// The index chunks Pagefind 1.5 loads for a word (its request_indexes): those whose bounds
// enclose it, or else those whose bounds enclose it when both are cut to the shorter length
// (the bounds are cut short: 建议 is in the chunk that ends at 建).
function chunksOf(word, chunks) {
  const strict = chunks.filter(([first, last]) => word >= first && word <= last);
  if (strict.length) return strict;
  const length = Array.from(word).length;
  const cut = (text, size) => Array.from(text).slice(0, size).join("");
  return chunks.filter(([first, last]) => {
    const [low, high] = [Math.min(length, Array.from(first).length), Math.min(length, Array.from(last).length)];
    return cut(word, low) >= cut(first, low) && cut(word, high) <= cut(last, high);
  });
}

// A small site's whole list, once the first results are shown (or at once on an empty page):
// later queries then wait for no shard. A big site's shards come only as queries need them.
// A small index's chunks likewise, into the HTTP cache, where Pagefind's worker finds them.
function wholeList(loaded) {
  if (loaded.whole) for (let number = 0; number < loaded.count; number += 1) wordShard(number, loaded).catch(() => {});
  if (loaded.indexWhole) for (const [, , name] of loaded.chunks) take(`index/${name}.pf_index`);
}

// The query as the word list has it: NFKC, lower case, traditional characters as simplified.
function foldQuery(query, t2s) {
  return Array.from(query.normalize("NFKC").toLowerCase(), (c) => t2s.get(c) || c).join("");
}

function shardNumber(char, loaded) {
  return char.codePointAt(0) % loaded.count;
}

// Fetches the shards of the word list that cutting `query` needs: a word starts with one of
// its characters, and the words a word begins (extensions) start with its first. The list
// grows with the site's vocabulary (hundreds of KiB on a big site of varied text): a query
// costs only the shards of its own characters.
function wordsFor(query, loaded) {
  const numbers = new Set();
  for (const c of foldQuery(query, loaded.t2s)) if (HAN.test(c)) numbers.add(shardNumber(c, loaded));
  return Promise.all(Array.from(numbers, (number) => wordShard(number, loaded)));
}

function wordShard(number, loaded) {
  let pending = loaded.shards.get(number);
  if (!pending) {
    pending = fetch(`${bundle}sitegen-words/${number}.txt`)
      .then((response) => {
        if (!response.ok) throw new Error(`sitegen-words/${number}.txt: ${response.status}`);
        return response.text();
      })
      .then((text) => {
        const sorted = text ? text.split(" ") : []; // in code point order, as Pagefind's chunks run
        for (const word of sorted) loaded.words.add(word);
        loaded.sorted.set(number, sorted);
        return sorted;
      });
    pending.catch(() => loaded.shards.delete(number)); // the next search fetches it again
    loaded.shards.set(number, pending);
  }
  return pending;
}

// The query's words as the index holds them, one list for each word the reader typed (split
// at spaces and punctuation), or null if some character is in no article.
function cutQuery(query, engine) {
  return queryCuts(query, engine, 1)[0] || null;
}

// Up to `limit` ways to cut the query into words of the index, the longest words first: the
// first is cutQuery's. jieba cut each article by its own reckoning, so a run typed may be in an
// article as other words than the longest (不|知道 where the list has 不知道, 更|有利 where it
// has 更有): when the first cut finds nothing, the others are tried (search()).
function queryCuts(query, engine, limit) {
  const { words, longest, t2s } = engine;
  let cuts = [[]];
  for (const runs of typedRuns(query, t2s)) {
    let pieces = [[]]; // the ways to cut this word typed so far
    for (const run of runs) {
      let ways = HAN.test(run) ? runCuts(run, words, longest, limit) : [[run]];
      // A character typed alone that is no word of the index but starts some (医 of 医保 and
      // 医院): searched by the words it begins, as Pagefind searches a word still being typed.
      if (!ways.length && runs.length === 1 && Array.from(run).length === 1 && beginsWords(run, engine)) ways = [[run]];
      if (!ways.length) return [];
      pieces = pieces.flatMap((before) => ways.map((way) => [...before, ...way])).slice(0, limit);
    }
    if (pieces[0].length) cuts = cuts.flatMap((groups) => pieces.map((way) => [...groups, way])).slice(0, limit);
  }
  return cuts[0].length ? cuts : [];
}

// Each word the reader typed (split at spaces and punctuation) as its runs of Chinese characters
// and of letters and digits, in simplified characters and lower case.
function typedRuns(query, t2s) {
  return foldQuery(query, t2s)
    .split(/[\s\p{P}\p{S}]+/u)
    .map((typed) => Array.from(typed.matchAll(RUNS), ([run]) => run));
}

// The query cut as queryCuts cuts it, the longest word first, but a character that starts no
// word of the index is left out instead of failing the cut: [groups, the characters left out].
// Only for a question that found nothing (search()): 疼 of 做胃镜疼吗 is in no article.
function looseCut(query, { words, longest, t2s }) {
  const groups = [];
  const missing = [];
  for (const runs of typedRuns(query, t2s)) {
    const group = [];
    for (const run of runs) {
      if (!HAN.test(run)) {
        group.push(run);
        continue;
      }
      const pieces = []; // [text, in no word]
      for (let at = 0; at < run.length; ) {
        let size = Math.min(longest, run.length - at);
        while (size > 0 && !words.has(run.slice(at, at + size))) size -= 1;
        pieces.push([run.slice(at, at + (size || 1)), !size]);
        at += size || 1;
      }
      // A lone character beside one that no article has is likely the rest of the same word
      // (科 of 骨科): left out with it, so that no word is searched by half of it.
      const out = pieces.map(
        ([text, gone], i) => gone || (text.length === 1 && !isQuestionWord(text) && [pieces[i - 1], pieces[i + 1]].some((next) => next && next[1])),
      );
      pieces.forEach(([text], i) => {
        if (!out[i]) group.push(text);
        else if (i && out[i - 1]) missing[missing.length - 1] += text;
        else missing.push(text);
      });
    }
    if (group.length) groups.push(group);
  }
  return [groups, missing];
}

// A word of a question: 怎么办, 吗, 几针 (how many shots), 多少钱.
function isQuestionWord(word) {
  return QUESTION_WORDS.has(word) || /^(?:怎|哪|几|多少)/u.test(word);
}

// The query's groups without their shortest word (the last typed of those as short), and that word.
function withoutShortest(groups) {
  let [at, index] = [0, 0];
  groups.forEach((group, g) =>
    group.forEach((word, w) => {
      if (word.length <= groups[at][index].length) [at, index] = [g, w];
    }),
  );
  const word = groups[at][index];
  const rest = groups.map((group, g) => (g === at ? group.filter((_, w) => w !== index) : group)).filter((group) => group.length);
  return [word, rest];
}

// The ways to cut a run of Chinese characters into words of the index, longest words first,
// up to `limit`; none if some character is in no word.
function runCuts(run, words, longest, limit) {
  const end = run.length;
  const reaches = new Array(end + 1).fill(false); // whether the run can be cut from here to its end
  reaches[end] = true;
  for (let at = end - 1; at >= 0; at -= 1) {
    for (let size = 1; size <= Math.min(longest, end - at) && !reaches[at]; size += 1) {
      reaches[at] = reaches[at + size] && words.has(run.slice(at, at + size));
    }
  }
  const found = [];
  const walk = (at, pieces) => {
    if (at === end) {
      found.push([...pieces]);
      return;
    }
    for (let size = Math.min(longest, end - at); size >= 1 && found.length < limit; size -= 1) {
      const piece = run.slice(at, at + size);
      if (reaches[at + size] && words.has(piece)) {
        pieces.push(piece);
        walk(at + size, pieces);
        pieces.pop();
      }
    }
  };
  if (reaches[0]) walk(0, []);
  return found;
}

// Pagefind matches a word and the words it begins (过敏, 过敏性, 过敏原), and scores each page by
// all of them, but it loads only the index chunk that holds the word itself: where the longer
// words run on into the next chunk, a page's score depended on whether an earlier query had
// loaded that chunk (the same query ranked two ways in one visit). So the chunks of the first
// and the last word it begins are loaded too, and every chunk between them (a word on much of
// the site has a chunk of its own, pagefind_chunks.py), each by a word its bounds enclose.
function extensions(word, sorted, chunks) {
  const start = lowest(sorted, word);
  const end = lowest(sorted, word + "\uffff");
  const first = sorted[start] === word ? start + 1 : start;
  if (first >= end) return [];
  const [low, high] = [sorted[first], sorted[end - 1]];
  const places = [low, high].flatMap((known) => chunksOf(known, chunks).map((chunk) => chunks.indexOf(chunk)));
  const between = chunks.slice(Math.min(...places) + 1, Math.max(...places)).map(([bound]) => bound);
  return [low, high, ...between];
}

// Where `key` is, or would go, in the sorted list of words.
function lowest(sorted, key) {
  let [low, high] = [0, sorted.length];
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle] < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

// The loaded shard of the word list that holds the words starting as `word` does, sorted.
function shardOf(word, loaded) {
  return loaded.sorted.get(shardNumber(word, loaded)) || [];
}

// Whether a word of the index starts with `char` (its shard is loaded: wordsFor).
function beginsWords(char, loaded) {
  const sorted = shardOf(char, loaded);
  const at = lowest(sorted, char);
  return at < sorted.length && sorted[at].startsWith(char);
}

// The words Pagefind is given for a cut query: its own, and those whose index chunks are loaded
// beside theirs (the first and last word each Chinese word begins, see extensions).
function indexTerms(loaded, groups) {
  const words = groups.flat();
  const reach = [...new Set(words.flatMap((word) => (HAN.test(word) ? extensions(word, shardOf(word, loaded), loaded.chunks) : [])))];
  return [words, reach];
}

// One word typed that the index holds as several (失业保险 as 失业 and 保险) is searched as a
// phrase first, so that articles with 失业 in one place and 保险 in another come only if no
// article has them side by side; several words typed must all be there, anywhere. A Latin word
// alone is searched as itself first, as Pagefind matches every word it begins (Hp, not HPV),
// and only if no article has it as a word does it find those (a word still being typed).
// The phrase's results keep the order of the plain search's, which weighs title and tags
// (Pagefind ranks a phrase search without them).
async function runSearch(loaded, groups, filters) {
  const { pagefind } = loaded;
  const [words, reach] = indexTerms(loaded, groups);
  const term = words.join(" ");
  // With the words themselves: all the chunks at once, not one round trip after another.
  if (reach.length) await pagefind.preload([term, ...reach].join(" "));
  const asPhrase = groups.length === 1 && (groups[0].length > 1 || !HAN.test(groups[0][0]));
  // Both at once: they wait for the same index chunks.
  const [plain, phrase] = await Promise.all([
    pagefind.search(term, { filters }),
    asPhrase ? pagefind.search(`"${term}"`, { filters }) : null,
  ]);
  if (!phrase || !phrase.results.length) return plain;
  const rank = new Map(plain.results.map((result, index) => [result.id, index]));
  const at = (result) => rank.get(result.id) ?? plain.results.length;
  phrase.results.sort((a, b) => at(a) - at(b));
  return phrase;
}

// The body as written: the index holds it cut into words with spaces; a space is the author's
// only between two Latin letters or digits (Chinese text here never spaces around them).
function bodyText(data) {
  const words = data.content.split(" ");
  const count = Number(data.meta.n || words.length);
  let text = "";
  for (const word of words.slice(0, count)) {
    if (text && LATIN.test(text.slice(-1)) && LATIN.test(word[0] || "")) text += " ";
    text += word;
  }
  // Pagefind ends a block that has no stop with an ASCII ". ": not the article's punctuation.
  return text.replace(/(?<=[^\x00-\x7f])\.$/u, "");
}

// Text as the query's pieces are: lower case, traditional characters as simplified (the index's
// table), one character for one, so a position in it is one in the text.
function folded(text, t2s) {
  return text.toLowerCase().replace(/[\u3400-\u9fff\uf900-\ufaff]/gu, (c) => t2s.get(c) || c);
}

// A short passage around the first hit, with every hit marked; the start of the body otherwise.
function excerptNodes(text, pieces, t2s) {
  const han = pieces.filter((piece) => piece.length > 0);
  const lower = folded(text, t2s);
  let first = -1;
  for (const piece of han) {
    const at = lower.indexOf(piece);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  let start = 0;
  if (first > 24) {
    // Start at the sentence the hit is in when it is near, else a little before the hit.
    const stop = Math.max(text.lastIndexOf("\u3002", first), text.lastIndexOf("\uff1b", first), text.lastIndexOf("\uff01", first));
    start = stop >= 0 && first - stop <= 40 ? stop + 1 : first - 16;
  }
  const end = Math.min(text.length, start + EXCERPT_LENGTH);
  const passage = text.slice(start, end);
  const nodes = [];
  if (start > 0) nodes.push(document.createTextNode("\u2026"));
  const marks = [];
  const passageLower = folded(passage, t2s);
  for (const piece of han) {
    for (let at = passageLower.indexOf(piece); at >= 0; at = passageLower.indexOf(piece, at + piece.length)) {
      marks.push([at, at + piece.length]);
    }
  }
  marks.sort((a, b) => a[0] - b[0]);
  let position = 0;
  for (const [from, to] of marks) {
    if (from < position) continue;
    if (from > position) nodes.push(document.createTextNode(passage.slice(position, from)));
    const mark = document.createElement("mark");
    mark.textContent = passage.slice(from, to);
    nodes.push(mark);
    position = to;
  }
  nodes.push(document.createTextNode(passage.slice(position)));
  if (end < text.length) nodes.push(document.createTextNode("\u2026"));
  return nodes;
}

function dateText(iso) {
  const [year, month, day] = iso.split("-").map(Number);
  return `${year}年${month}月${day}日`;
}

// A page's address as Pagefind gives it in a result's fragment (its fullUrl, with baseUrl).
function fullUrl(raw) {
  if (/^(https?:)?\/\//.test(raw)) return raw;
  return `${list.dataset.base || "/"}/${raw}`.replace(/\/+/g, "/").replace(/^(https?:\/)/, "$1/");
}

// What a card shows of a page, from the head's page table or from the page's fragment.
function facts(data) {
  const { title, date, topic, city } = data.meta;
  return { url: data.url, title: title || data.url, date, topic, city };
}

// A result's card. Its excerpt is filled in by `excerpt`, when the fragment is here: until
// then the box holds a hidden placeholder as long as an excerpt, so that nothing moves.
function card(page) {
  const item = document.createElement("li");
  item.className = "card";
  const link = document.createElement("a");
  link.className = "card-link";
  link.href = page.url;
  const title = document.createElement("h2");
  title.className = "card-title";
  title.textContent = page.title;
  const excerpt = document.createElement("p");
  excerpt.className = "card-excerpt is-waiting";
  const placeholder = document.createElement("span");
  placeholder.className = "excerpt-placeholder";
  placeholder.setAttribute("aria-hidden", "true");
  placeholder.textContent = "\u4e00".repeat(EXCERPT_LENGTH); // wraps as Chinese text does
  // Unseen in any theme, with a line clamp's ellipsis too (the CSP allows styles set from a
  // script); site.css greys its lines.
  excerpt.style.color = "transparent";
  placeholder.style.userSelect = "none";
  excerpt.append(placeholder);
  link.append(title, excerpt);
  const meta = document.createElement("p");
  meta.className = "card-meta";
  if (page.topic) {
    const topic = document.createElement("span");
    topic.className = "label";
    topic.textContent = page.topic;
    meta.append(topic);
  }
  if (page.city && page.city !== "全国") {
    const city = document.createElement("span");
    city.className = "card-city";
    city.textContent = page.city;
    meta.append(city);
  }
  if (page.date) {
    const time = document.createElement("time");
    time.dateTime = page.date;
    time.textContent = dateText(page.date);
    meta.append(time);
  }
  item.append(link, meta);
  return item;
}

function excerpt(item, data, pieces, t2s) {
  const box = item.querySelector(".card-excerpt");
  box.classList.remove("is-waiting");
  box.style.color = "";
  box.replaceChildren(...excerptNodes(bodyText(data), pieces, t2s));
}

function fillFilter(select, counts, chosen) {
  const first = select.options[0];
  const options = Object.entries(counts || {})
    .filter(([name, count]) => count > 0 && name !== chosen)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], "zh-CN"))
    .map(([name, count]) => {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = `${name}\uff08${count}\uff09`;
      return option;
    });
  if (chosen) {
    const option = document.createElement("option");
    option.value = chosen;
    option.textContent = `${chosen}\uff08${(counts || {})[chosen] || 0}\uff09`;
    options.unshift(option);
  }
  select.replaceChildren(first, ...options);
  select.value = chosen;
}

// The next ten results. Only the fragments of the cards shown are fetched, all at once. With
// the head's page table every card goes in at once and its excerpt when its fragment is here;
// without one, each card goes in as soon as its own fragment and those of the cards above it
// are here, so the first results do not wait for the slowest of ten. Cards only ever go in
// below the last and excerpts only into boxes kept for them: nothing on screen moves. A result
// whose article is already on the page (a 大家都在搜 page's built-in cards) is passed over.
async function showMore(focusFirst) {
  const search = current;
  more.disabled = true;
  const found = await search.found;
  if (search !== current || !found) return;
  const { t2s, pages } = await loadEngine(); // loaded: it gave `found`
  if (search !== current) return;
  let first = null;
  let added = 0;
  const fetched = [];
  while (added < PAGE_SIZE && search.next < found.results.length) {
    const batch = found.results.slice(search.next, search.next + PAGE_SIZE - added);
    search.next += batch.length;
    // The first cards' fragments go first, the others once the first is here: ten at once
    // shared a phone's link, and the first card waited for a tenth of it.
    const head = batch.slice(0, FIRST_FRAGMENTS).map((result) => result.data());
    const rest = head[0].catch(() => null).then(() => batch.slice(FIRST_FRAGMENTS).map((result) => result.data()));
    const fragments = [...head, ...batch.slice(FIRST_FRAGMENTS).map((_, index) => rest.then((later) => later[index]))];
    fetched.push(...fragments);
    for (const [index, result] of batch.entries()) {
      const known = pages.get(result.id);
      const data = known ? null : await fragments[index];
      if (search !== current) return; // a newer search took over while these loaded
      const page = known || facts(data);
      if (search.skip.has(page.url)) continue;
      const item = card(page);
      list.append(item);
      if (data) excerpt(item, data, search.pieces, t2s);
      else {
        fragments[index]
          .then((later) => search === current && excerpt(item, later, search.pieces, t2s))
          .catch(() => item.querySelector(".card-excerpt").replaceChildren()); // the card stays, with no excerpt
      }
      // The keyboard goes to the first new card as soon as it is there, not after the tenth.
      if (!first && focusFirst) item.querySelector("a").focus();
      first ||= item;
      added += 1;
    }
  }
  const left = Math.max(0, found.results.length - list.children.length);
  more.hidden = search.next >= found.results.length || left === 0;
  more.disabled = false;
  if (!more.hidden) more.textContent = `加载更多\uff08还有 ${left} 篇\uff09`;
  // Wrapped: an async function's promise would wait for a promise it returns.
  return { arrived: Promise.allSettled(fetched) };
}

async function search(query, topic, city) {
  const token = ++searchCount;
  if (!query) {
    current = null;
    list.replaceChildren();
    more.hidden = true;
    status.textContent = "";
    return;
  }
  status.textContent = "正在搜索\u2026";
  try {
    const loaded = await loadEngine();
    // Until Pagefind has loaded the filters its searches count no topic or city. A search with
    // a filter chosen waits for them; a plain one shows its results first and counts after.
    const loadFilters = () => (loaded.filtersLoaded ||= loaded.pagefind.filters());
    await Promise.all([wordsFor(query, loaded), topic || city ? loadFilters() : null]);
    if (token !== searchCount) return;
    const cuts = queryCuts(query, loaded, OTHER_CUTS + 1);
    let groups = cuts[0] || null;
    const filters = {};
    if (topic) filters.topic = topic;
    if (city) filters.city = city;
    let found = groups ? await runSearch(loaded, groups, filters) : { results: [], filters: {}, totalFilters: {} };
    // Other cuts only for one word typed: several are searched each on its own, where a cut
    // into more and shorter words would match them anywhere.
    for (const other of groups && groups.length === 1 ? cuts.slice(1) : []) {
      if (found.results.length || token !== searchCount) break;
      const again = await runSearch(loaded, other, filters);
      if (again.results.length) [found, groups] = [again, other];
    }
    // A question (a question word in it) that no article answers word for word is searched
    // again without its question words and the characters no article has, then without its
    // one-character words, the last typed first, while one word is left (疼 and 做 of 做胃镜疼吗,
    // 打 of HPV疫苗打几针); the status says which were left out. Any other query finds nothing
    // rather than articles with some of its words: 医疗美容 is in no article.
    let left = [];
    const [typed, missing] = groups ? [groups, []] : looseCut(query, loaded);
    if (typed.some((group) => group.some(isQuestionWord)) && !found.results.length && token === searchCount) {
      let dropped = [...missing, ...typed.flat().filter(isQuestionWord)];
      let kept = typed.map((group) => group.filter((word) => !isQuestionWord(word))).filter((group) => group.length);
      while (kept.length) {
        const again = await runSearch(loaded, kept, filters);
        if (token !== searchCount) return;
        if (again.results.length) {
          [found, groups, left] = [again, kept, dropped];
          break;
        }
        const [word, rest] = withoutShortest(kept);
        if (!rest.length || word.length > 1 || !HAN.test(word)) break;
        [kept, dropped] = [rest, [...dropped, word]];
      }
    }
    const pieces = groups ? groups.flat() : null;
    if (token !== searchCount) return;
    // Each list counts the results as they would be without its own choice, so a reader who
    // chose 深圳 still sees the other cities and can move to one.
    const without = async (key) => {
      if (!filters[key]) return found.filters || {};
      const others = { ...filters };
      delete others[key];
      return (await runSearch(loaded, groups, others)).filters || {};
    };
    const counted = topic || city || !pieces || !pieces.length;
    const [topics, cities] = counted && pieces && pieces.length ? await Promise.all([without("topic"), without("city")]) : [{}, {}];
    if (token !== searchCount) return;
    if (counted) {
      fillFilter(topicSelect, topics.topic, topic);
      fillFilter(citySelect, cities.city, city);
    }
    current = { found, next: 0, skip: new Set(), pieces: pieces || [] };
    list.replaceChildren();
    const where = [topic, city].filter(Boolean).join("\u3001");
    const scope = where ? `\uff08${where}\uff09` : "";
    more.hidden = true;
    const shown = found.results.length ? await showMore(false) : null;
    if (token !== searchCount) return;
    // Said once the first cards are in: the status is what a screen reader announces.
    const leftOut = left.length ? `\uff08搜索时略去了\u201c${[...new Set(left)].join("\u201d\u201c")}\u201d\uff09` : "";
    status.textContent = found.results.length
      ? `找到 ${found.results.length} 篇与\u201c${query}\u201d相关的文章${scope}${leftOut}`
      : `没有找到与\u201c${query}\u201d相关的文章${scope}\uff0c换个关键词试试\u3002`;
    // Once the cards' excerpts are in: they are what the reader waits for now.
    (shown ? shown.arrived : Promise.resolve()).then(() => wholeList(loaded));
    if (!counted) {
      await loadFilters();
      const again = await runSearch(loaded, groups, filters);
      if (token !== searchCount) return;
      fillFilter(topicSelect, (again.filters || {}).topic, topic);
      fillFilter(citySelect, (again.filters || {}).city, city);
    }
  } catch (error) {
    if (token === searchCount) status.textContent = "搜索暂时不可用\u3002";
  }
}

function state() {
  return { q: input.value.trim(), topic: topicSelect.value, city: citySelect.value };
}

function run(remember) {
  const { q, topic, city } = state();
  if (remember) {
    const params = new URLSearchParams();
    if (q) params.set("q", q);
    if (topic) params.set("topic", topic);
    if (city) params.set("city", city);
    const tail = params.toString();
    // From a 大家都在搜 page too, the address is the search page's: /search/?q=…
    history.replaceState(null, "", `${searchPage}${tail ? `?${tail}` : ""}`);
  }
  search(q, topic, city);
}

// A 大家都在搜 page (/search/<term>/) comes with the term's first results built in: they stay,
// and the index is searched only for 加载更多 and the filters' counts.
async function adoptBuiltIn(query) {
  const skip = new Set(Array.from(list.querySelectorAll(".card-link"), (link) => new URL(link.href).pathname));
  const search = { found: null, next: 0, skip, pieces: [query] };
  current = search;
  search.found = loadEngine()
    .then(async (loaded) => {
      await wordsFor(query, loaded);
      const groups = cutQuery(query, loaded);
      if (!groups || !groups.length) return null;
      search.pieces = groups.flat();
      return runSearch(loaded, groups, {});
    })
    .catch(() => null);
  const found = await search.found;
  if (!found || search !== current) return;
  try {
    const loaded = await loadEngine();
    wholeList(loaded);
    await (loaded.filtersLoaded ||= loaded.pagefind.filters());
    const again = await runSearch(loaded, cutQuery(query, loaded), {});
    if (search !== current) return;
    fillFilter(topicSelect, (again.filters || {}).topic, "");
    fillFilter(citySelect, (again.filters || {}).city, "");
  } catch (error) {
    // The filters stay empty; the results on the page are still right.
  }
}

const searchPage = list.dataset.page || location.pathname;
const builtIn = list.dataset.query || "";
const params = new URLSearchParams(location.search);
input.value = params.get("q") || builtIn;
fillFilter(topicSelect, {}, params.get("topic") || "");
fillFilter(citySelect, {}, params.get("city") || "");
// Pagefind loads while the reader reads the page, before the first keystroke.
loadEngine()
  .then((loaded) => input.value || wholeList(loaded))
  .catch(() => {});
if (builtIn && input.value === builtIn && !topicSelect.value && !citySelect.value) {
  adoptBuiltIn(builtIn);
} else {
  run(false);
}

// A short pause merges the events of one burst of typing; 300 ms from a keystroke to results is
// the target, so it must stay short. An input method still choosing characters (拼音 before its
// commit) is not searched: its commit ends the composition.
let typing = 0;
const soon = (delay) => {
  clearTimeout(typing);
  typing = setTimeout(() => run(true), delay);
};
input.addEventListener("input", (event) => {
  if (event.isComposing) return;
  // The word list's shards for what is typed so far start now, while the reader types on.
  if (engine) engine.then((loaded) => wordsFor(input.value, loaded)).catch(() => {});
  soon(50);
});
input.addEventListener("compositionend", () => soon(0));
form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(typing);
  run(true);
});
topicSelect.addEventListener("change", () => run(true));
citySelect.addEventListener("change", () => run(true));
more.addEventListener("click", () => showMore(true));
