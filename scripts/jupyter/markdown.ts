/**
 * Markdown → HTML for the reports, by markdown-it (CommonMark, plus GFM tables and strikethrough),
 * set up so that a notebook's text can never inject markup or script:
 * - raw HTML is off (`html: false`): tags in the text are shown as text, escaped;
 * - links, images and autolinks may only be relative or http(s)/mailto (no javascript:, data:, …);
 * - TeX math (`$…$`, `$$…$$`) is kept as written, delimiters included, for a math renderer or a
 *   reader, instead of being read as emphasis (`$x_1 * y_2$`) or escapes.
 */
import MarkdownIt from "markdown-it";

/** Relative URLs and http(s)/mailto only: no javascript:, data: or other schemes. */
export function isSafeUrl(url: string): boolean {
  const trimmed = url.trim();
  return !/^[a-z][a-z0-9+.-]*:/i.test(trimmed) || /^(https?|mailto):/i.test(trimmed);
}

/**
 * An inline rule: a `$…$` or `$$…$$` span becomes one text token holding the span as written.
 * Pandoc's rule tells math from prices: the opening `$` is followed by a non-space, the closing `$`
 * is preceded by a non-space and not followed by a digit ("$5 and $6" is not math).
 */
function mathSpan(state: MarkdownIt.StateInline, silent: boolean): boolean {
  const src = state.src;
  const start = state.pos;
  if (src[start] !== "$") return false;
  const delimiter = src.startsWith("$$", start) ? "$$" : "$";
  const from = start + delimiter.length;
  if (from >= state.posMax || /\s/.test(src[from])) return false;
  for (
    let end = src.indexOf(delimiter, from);
    end !== -1 && end < state.posMax;
    end = src.indexOf(delimiter, end + 1)
  ) {
    if (src[end - 1] === "\\" || /\s/.test(src[end - 1])) continue;
    const after = end + delimiter.length;
    if (delimiter === "$" && /\d/.test(src[after] ?? "")) continue;
    if (!silent) state.push("text", "", 0).content = src.slice(start, after);
    state.pos = after;
    return true;
  }
  return false;
}

const md = new MarkdownIt("default", { html: false, linkify: false, typographer: false });
md.validateLink = isSafeUrl;
md.inline.ruler.before("escape", "math", mathSpan);

/** Renders Markdown to HTML; all raw HTML in the input is escaped. */
export function renderMarkdown(markdown: string): string {
  return md.render(markdown);
}
