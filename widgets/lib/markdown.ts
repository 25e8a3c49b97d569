/**
 * A small, safe Markdown renderer for guidelines. It builds DOM nodes and puts
 * every piece of text in with text nodes, so nothing in the source can become
 * HTML: `<img onerror=...>` is shown as those characters.
 *
 * Supported: ATX headings, paragraphs, bullet and numbered lists (one level,
 * with continuation lines), block quotes, fenced code, horizontal rules, and
 * inline **bold**, *italic* / _italic_, `code`, and [links](https://...) whose
 * target is http(s) (any other target is shown as plain text).
 */

type Block =
  | { kind: "heading"; level: number; text: string }
  | { kind: "paragraph"; text: string }
  | { kind: "list"; ordered: boolean; start: number; items: string[] }
  | { kind: "quote"; text: string }
  | { kind: "code"; text: string }
  | { kind: "rule" };

const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$/;
const BULLET = /^ {0,3}[-*+][ \t]+(.*)$/;
const ORDERED = /^ {0,3}(\d{1,9})[.)][ \t]+(.*)$/;
const FENCE = /^ {0,3}(```|~~~)/;
const RULE = /^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}>[ \t]?(.*)$/;

export function parseBlocks(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let para: string[] = [];
  let list: { ordered: boolean; start: number; items: string[] } | null = null;
  let quote: string[] = [];

  const flush = () => {
    if (para.length) blocks.push({ kind: "paragraph", text: para.join(" ") });
    if (list) blocks.push({ kind: "list", ...list });
    if (quote.length) blocks.push({ kind: "quote", text: quote.join(" ") });
    para = [];
    list = null;
    quote = [];
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trimStart().startsWith(fence[1])) body.push(lines[i++]);
      blocks.push({ kind: "code", text: body.join("\n") });
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = HEADING.exec(line))) {
      flush();
      blocks.push({ kind: "heading", level: m[1].length, text: m[2] });
    } else if (RULE.test(line)) {
      flush();
      blocks.push({ kind: "rule" });
    } else if ((m = BULLET.exec(line)) || (m = ORDERED.exec(line))) {
      const ordered = m.length === 3;
      const text = ordered ? m[2] : m[1];
      if (!list || list.ordered !== ordered) {
        flush();
        list = { ordered, start: ordered ? Number(m[1]) : 1, items: [] };
      }
      list.items.push(text);
    } else if ((m = QUOTE.exec(line))) {
      if (!quote.length) flush();
      quote.push(m[1]);
    } else if (list && /^\s+\S/.test(line)) {
      list.items[list.items.length - 1] += " " + line.trim();
    } else if (quote.length) {
      quote.push(line.trim());
    } else {
      if (list) flush();
      para.push(line.trim());
    }
  }
  flush();
  return blocks;
}

/** An http(s) URL, or null: `javascript:`, `data:` and relative targets are refused. */
export function safeHref(href: string): string | null {
  try {
    const url = new URL(href.trim());
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
}

/** Inline markup of one block's text, appended to `parent`. */
export function renderInline(text: string, parent: Node, doc: Document): void {
  let buf = "";
  const flushText = () => {
    if (buf) parent.appendChild(doc.createTextNode(buf));
    buf = "";
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "\\" && i + 1 < text.length && /[\\`*_[\]()#+\-.!>~]/.test(text[i + 1])) {
      buf += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === "`") {
      const end = text.indexOf("`", i + 1);
      if (end > i) {
        flushText();
        const code = doc.createElement("code");
        code.textContent = text.slice(i + 1, end);
        parent.appendChild(code);
        i = end + 1;
        continue;
      }
    }
    if (ch === "[") {
      const close = findClosing(text, i + 1, "[", "]");
      if (close > 0 && text[close + 1] === "(") {
        const end = findClosing(text, close + 2, "(", ")");
        if (end > 0) {
          const label = text.slice(i + 1, close);
          const href = safeHref(text.slice(close + 2, end).split(/\s+/)[0] ?? "");
          flushText();
          if (href) {
            const a = doc.createElement("a");
            a.setAttribute("href", href);
            a.setAttribute("target", "_blank");
            a.setAttribute("rel", "noopener noreferrer");
            renderInline(label, a, doc);
            parent.appendChild(a);
          } else {
            renderInline(label, parent, doc);
          }
          i = end + 1;
          continue;
        }
      }
    }
    if ((ch === "*" || ch === "_") && text[i + 1] === ch) {
      const marker = ch + ch;
      const end = text.indexOf(marker, i + 2);
      if (end > i + 2) {
        flushText();
        const strong = doc.createElement("strong");
        renderInline(text.slice(i + 2, end), strong, doc);
        parent.appendChild(strong);
        i = end + 2;
        continue;
      }
    }
    if ((ch === "*" || ch === "_") && text[i + 1] !== " " && !(ch === "_" && isWordChar(text[i - 1]))) {
      let end = i + 1;
      while ((end = text.indexOf(ch, end)) > 0) {
        if (text[end - 1] !== " " && text[end + 1] !== ch && !(ch === "_" && isWordChar(text[end + 1])))
          break;
        end++;
      }
      if (end > i + 1) {
        flushText();
        const em = doc.createElement("em");
        renderInline(text.slice(i + 1, end), em, doc);
        parent.appendChild(em);
        i = end + 1;
        continue;
      }
    }
    buf += ch;
    i++;
  }
  flushText();
}

function findClosing(text: string, from: number, open: string, close: string): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "\\") {
      i++;
      continue;
    }
    if (text[i] === open) depth++;
    else if (text[i] === close) {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Render Markdown `src` into a fragment of DOM nodes; text is never parsed as HTML. */
export function renderMarkdown(src: string, doc: Document = document): DocumentFragment {
  const frag = doc.createDocumentFragment();
  for (const block of parseBlocks(src ?? "")) {
    switch (block.kind) {
      case "heading": {
        const h = doc.createElement(`h${block.level}`);
        renderInline(block.text, h, doc);
        frag.appendChild(h);
        break;
      }
      case "paragraph": {
        const p = doc.createElement("p");
        renderInline(block.text, p, doc);
        frag.appendChild(p);
        break;
      }
      case "list": {
        const list = doc.createElement(block.ordered ? "ol" : "ul");
        if (block.ordered && block.start !== 1) list.setAttribute("start", String(block.start));
        for (const item of block.items) {
          const li = doc.createElement("li");
          renderInline(item, li, doc);
          list.appendChild(li);
        }
        frag.appendChild(list);
        break;
      }
      case "quote": {
        const q = doc.createElement("blockquote");
        renderInline(block.text, q, doc);
        frag.appendChild(q);
        break;
      }
      case "code": {
        const pre = doc.createElement("pre");
        const code = doc.createElement("code");
        code.textContent = block.text;
        pre.appendChild(code);
        frag.appendChild(pre);
        break;
      }
      case "rule":
        frag.appendChild(doc.createElement("hr"));
        break;
    }
  }
  return frag;
}
