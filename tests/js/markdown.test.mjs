import { test, before } from "node:test";
import assert from "node:assert/strict";
import { setupDom } from "./helpers.mjs";
import { renderMarkdown, safeHref } from "../../widgets/lib/markdown.ts";

before(() => setupDom());

function html(src) {
  const div = document.createElement("div");
  div.appendChild(renderMarkdown(src, document));
  return div;
}

test("HTML in the source stays text", () => {
  const div = html('Hello <img src=x onerror="alert(1)"> and <script>alert(2)</script>');
  assert.equal(div.querySelectorAll("img, script").length, 0);
  assert.match(div.textContent, /<img src=x onerror="alert\(1\)">/);
});

test("HTML inside inline markup stays text too", () => {
  const div = html('**<b onclick="x">bold</b>** and `<i>` and [<img src=x>](https://example.com)');
  assert.equal(div.querySelectorAll("b, i, img").length, 0);
  assert.equal(div.querySelector("strong").textContent, '<b onclick="x">bold</b>');
  assert.equal(div.querySelector("code").textContent, "<i>");
  assert.equal(div.querySelector("a").textContent, "<img src=x>");
});

test("headings, paragraphs, lists, emphasis, code, links", () => {
  const div = html(
    "# Title\n\nSome *italic* and **bold** and `code`.\n\n- one\n- two\n  continued\n\n1. first\n2. second\n\n" +
      "See [the docs](https://example.com/a?b=1).\n\n```\nraw <b>\n```\n\n> quoted\n\n---\n",
  );
  assert.equal(div.querySelector("h1").textContent, "Title");
  assert.equal(div.querySelector("em").textContent, "italic");
  assert.equal(div.querySelector("strong").textContent, "bold");
  assert.equal(div.querySelector("p code").textContent, "code");
  assert.deepEqual([...div.querySelectorAll("ul li")].map((li) => li.textContent), ["one", "two continued"]);
  assert.deepEqual([...div.querySelectorAll("ol li")].map((li) => li.textContent), ["first", "second"]);
  const a = div.querySelector("a");
  assert.equal(a.getAttribute("href"), "https://example.com/a?b=1");
  assert.equal(a.getAttribute("rel"), "noopener noreferrer");
  assert.equal(div.querySelector("pre code").textContent, "raw <b>");
  assert.equal(div.querySelector("blockquote").textContent, "quoted");
  assert.ok(div.querySelector("hr"));
});

test("only http(s) links become anchors", () => {
  const div = html("[x](javascript:alert(1)) [y](data:text/html,hi) [z](/relative) [ok](http://a.b)");
  const anchors = [...div.querySelectorAll("a")];
  assert.equal(anchors.length, 1);
  assert.equal(anchors[0].getAttribute("href"), "http://a.b/");
  assert.match(div.textContent, /x y z ok/);
  assert.equal(safeHref("JaVaScRiPt:alert(1)"), null);
  assert.equal(safeHref("https://x.org"), "https://x.org/");
});

test("snake_case words are not emphasis", () => {
  const div = html("use my_var_name here");
  assert.equal(div.querySelectorAll("em").length, 0);
  assert.equal(div.textContent, "use my_var_name here");
});

test("empty or missing source renders nothing", () => {
  assert.equal(html("").childNodes.length, 0);
  assert.equal(html(undefined).childNodes.length, 0);
});
