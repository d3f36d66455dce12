/**
 * A small, safe Markdown → HTML renderer for the reports: headings, paragraphs, nested lists,
 * emphasis, inline code, fenced code, links, images, block quotes, rules and pipe tables. Everything
 * else, raw HTML included, is escaped, so a notebook's text can never inject markup or script.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Relative URLs and http(s)/mailto only: no javascript:, data: or other schemes. */
function safeUrl(url: string): string | null {
  const trimmed = url.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(trimmed) && !/^(https?|mailto):/i.test(trimmed)) return null;
  return trimmed;
}

/** Inline markup on one block of text. Code spans are cut out first so nothing inside them is parsed. */
export function renderInline(text: string): string {
  const parts = text.split(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/);
  let html = "";
  for (let i = 0; i < parts.length; i += 3) {
    html += renderSpans(parts[i]);
    if (i + 2 < parts.length) html += `<code>${escapeHtml(parts[i + 2].trim() || parts[i + 2])}</code>`;
  }
  return html;
}

function renderSpans(text: string): string {
  let html = escapeHtml(text);
  // Images before links: ![alt](src). Escaped text keeps [, ], ( and ) as they are.
  html = html.replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (whole, alt: string, src: string) => {
    const url = safeUrl(src);
    return url === null ? whole : `<img alt="${alt}" src="${url}">`;
  });
  html = html.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (whole, label: string, href: string) => {
    const url = safeUrl(href);
    return url === null ? whole : `<a href="${url}">${label}</a>`;
  });
  html = html.replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, "<strong>$1</strong>");
  html = html.replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, "$1<strong>$2</strong>");
  html = html.replace(/\*(?=\S)([^*]*?\S)\*/g, "<em>$1</em>");
  html = html.replace(/(^|[^\w])_(?=\S)([^_]*?\S)_(?!\w)/g, "$1<em>$2</em>");
  html = html.replace(/~~(?=\S)([\s\S]*?\S)~~/g, "<del>$1</del>");
  // Two trailing spaces or a backslash end a line with a break, as in CommonMark.
  html = html.replace(/(?: {2,}|\\)\n/g, "<br>\n");
  return html;
}

const LIST_ITEM = /^( *)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_RULE = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)/;

function tableCells(line: string): string[] {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  return row.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, "|"));
}

function renderTable(lines: string[]): string {
  const header = tableCells(lines[0]);
  const aligns = tableCells(lines[1]).map((rule) =>
    rule.startsWith(":") && rule.endsWith(":") ? "center" : rule.endsWith(":") ? "right" : rule.startsWith(":") ? "left" : "",
  );
  const cell = (tag: string, text: string, i: number) =>
    `<${tag}${aligns[i] ? ` style="text-align:${aligns[i]}"` : ""}>${renderInline(text)}</${tag}>`;
  const head = `<tr>${header.map((text, i) => cell("th", text, i)).join("")}</tr>`;
  const body = lines
    .slice(2)
    .map((line) => `<tr>${header.map((_, i) => cell("td", tableCells(line)[i] ?? "", i)).join("")}</tr>`)
    .join("\n");
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** Renders a list starting at lines[start]; returns the HTML and the first line after it. */
function renderList(lines: string[], start: number): { html: string; next: number } {
  const first = LIST_ITEM.exec(lines[start])!;
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const items: string[][] = [];
  let i = start;
  while (i < lines.length) {
    const line = lines[i];
    const item = LIST_ITEM.exec(line);
    if (item && item[1].length === indent && /\d/.test(item[2]) === ordered) {
      items.push([item[3]]);
    } else if (line.trim() === "") {
      // A blank line ends the list unless the list (or the item) continues after it.
      const after = lines[i + 1] ?? "";
      const next = LIST_ITEM.exec(after);
      const sibling = next !== null && next[1].length === indent && /\d/.test(next[2]) === ordered;
      const indented = (after.length - after.trimStart().length) > indent && after.trim() !== "";
      if (!sibling && !indented) break;
      items[items.length - 1].push("");
    } else if (/^\s/.test(line) && (line.length - line.trimStart().length) > indent) {
      items[items.length - 1].push(line.slice(Math.min(indent + 2, line.length - line.trimStart().length)));
    } else if (!item && items.length > 0 && items[items.length - 1][items[items.length - 1].length - 1] !== "") {
      items[items.length - 1].push(line); // a lazy continuation line
    } else {
      break;
    }
    i++;
  }
  for (const item of items) while (item.length > 1 && item[item.length - 1] === "") item.pop();
  const start1 = ordered ? Number.parseInt(first[2], 10) : 1;
  const tag = ordered ? "ol" : "ul";
  const attrs = ordered && start1 !== 1 ? ` start="${start1}"` : "";
  const html = items
    .map((item) => {
      const inner = renderBlocks(item);
      // A tight item (no blank line inside) shows its text without <p>, as CommonMark does.
      const tight = !item.includes("");
      return `<li>${tight ? inner.replace(/<p>([\s\S]*?)<\/p>/g, "$1") : inner}</li>`;
    })
    .join("\n");
  return { html: `<${tag}${attrs}>\n${html}\n</${tag}>`, next: i };
}

function renderBlocks(lines: string[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === "") {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trimStart().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      const lang = fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : "";
      out.push(`<pre><code${lang}>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      out.push(`<h${heading[1].length}>${renderInline(heading[2])}</h${heading[1].length}>`);
      i++;
      continue;
    }
    if (/^ {0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push("<hr>");
      i++;
      continue;
    }
    if (line.includes("|") && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]) && lines[i + 1].includes("-")) {
      const rows = [line, lines[i + 1]];
      i += 2;
      while (i < lines.length && lines[i].includes("|") && lines[i].trim() !== "") rows.push(lines[i++]);
      out.push(renderTable(rows));
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const list = renderList(lines, i);
      out.push(list.html);
      i = list.next;
      continue;
    }
    if (/^ {0,3}>/.test(line)) {
      const quoted: string[] = [];
      while (i < lines.length && /^ {0,3}>/.test(lines[i])) quoted.push(lines[i++].replace(/^ {0,3}> ?/, ""));
      out.push(`<blockquote>\n${renderBlocks(quoted)}\n</blockquote>`);
      continue;
    }
    const paragraph: string[] = [];
    while (
      i < lines.length &&
      lines[i].trim() !== "" &&
      !FENCE.test(lines[i]) &&
      !/^ {0,3}#{1,6}\s/.test(lines[i]) &&
      !(paragraph.length > 0 && LIST_ITEM.test(lines[i])) &&
      !/^ {0,3}>/.test(lines[i])
    ) {
      paragraph.push(lines[i++]);
    }
    out.push(`<p>${renderInline(paragraph.join("\n"))}</p>`);
  }
  return out.join("\n");
}

/** Renders Markdown to HTML; all raw HTML in the input is escaped. */
export function renderMarkdown(markdown: string): string {
  return renderBlocks(markdown.replace(/\r\n?/g, "\n").replace(/\t/g, "    ").split("\n"));
}
