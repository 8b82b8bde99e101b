// Site search on top of the Pagefind index that `sitegen build` writes to /pagefind/.
// Results are built with DOM methods only: no HTML from the index is inserted as markup.
const form = document.querySelector(".search-form");
const input = document.getElementById("search-input");
const list = document.getElementById("search-results");
const status = document.getElementById("search-status");

function excerptNodes(html) {
  // Pagefind excerpts are escaped text with <mark> around hits; copy text and marks only.
  const doc = new DOMParser().parseFromString(html, "text/html");
  return Array.from(doc.body.childNodes).map((node) => {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      return mark;
    }
    return document.createTextNode(node.textContent);
  });
}

function card(result) {
  const item = document.createElement("li");
  item.className = "card";
  const link = document.createElement("a");
  link.className = "card-link";
  link.href = result.url;
  const title = document.createElement("h2");
  title.className = "card-title";
  title.textContent = result.meta.title || result.url;
  const excerpt = document.createElement("p");
  excerpt.className = "card-excerpt";
  excerpt.append(...excerptNodes(result.excerpt));
  link.append(title, excerpt);
  item.append(link);
  return item;
}

async function search(query) {
  list.replaceChildren();
  if (!query) {
    status.textContent = "";
    return;
  }
  status.textContent = "正在搜索…";
  try {
    const pagefind = await import(list.dataset.bundle + "pagefind.js");
    const found = await pagefind.search(query);
    const results = await Promise.all(found.results.slice(0, 30).map((r) => r.data()));
    status.textContent = results.length
      ? `找到 ${found.results.length} 篇与“${query}”相关的文章`
      : `没有找到与“${query}”相关的文章,换个关键词试试。`;
    list.append(...results.map(card));
  } catch (error) {
    status.textContent = "搜索暂时不可用。";
  }
}

const query = new URLSearchParams(location.search).get("q") || "";
input.value = query;
search(query.trim());
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const value = input.value.trim();
  history.replaceState(null, "", value ? `?q=${encodeURIComponent(value)}` : location.pathname);
  search(value);
});
