// Class colours on both JupyterLab themes. The default palette is workbench/schema.py's
// PALETTE (read from the file, so a new colour there is checked here). No text is set on
// a class colour in the widgets: a class is a swatch next to its name. A swatch must stand
// out from the background it sits on (WCAG 1.4.11: 3:1 for a graphical object), by its own
// colour or by its edge, which is --wb-fg2 for every swatch (lib/base.css).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { colorRgb } from "../../widgets/lib/colors.ts";

const read = (path) => readFileSync(new URL(path, `file://${process.cwd()}/`), "utf8");

/** JupyterLab 4's theme colours (theme-light-extension / theme-dark-extension): what a swatch sits on, and --wb-fg2. */
const THEMES = {
  light: { backgrounds: { layout1: "#ffffff", layout2: "#eeeeee", input: "#f5f5f5" }, fg2: [0, 0, 0, 0.54] },
  dark: { backgrounds: { layout1: "#212121", layout2: "#424242", input: "#424242" }, fg2: [255, 255, 255, 0.54] },
};

function luminance([r, g, b]) {
  const lin = (v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** rgba over an opaque background. */
function over([r, g, b, a], bg) {
  return [r, g, b].map((v, i) => v * a + bg[i] * (1 - a));
}

function palette() {
  const src = read("workbench/schema.py");
  const m = src.match(/^PALETTE = \(([\s\S]*?)^\)/m);
  assert.ok(m, "PALETTE found in workbench/schema.py");
  const colors = [...m[1].matchAll(/"(#[0-9A-Fa-f]{6})"/g)].map((x) => x[1]);
  assert.ok(colors.length >= 8, `${colors.length} colours`);
  return colors;
}

test("contrast() is WCAG's: black on white 21, a colour on itself 1, #767676 on white 4.54", () => {
  assert.equal(Math.round(contrast([0, 0, 0], [255, 255, 255]) * 100) / 100, 21);
  assert.equal(contrast([12, 200, 90], [12, 200, 90]), 1);
  assert.equal(Math.round(contrast(colorRgb("#767676"), [255, 255, 255]) * 100) / 100, 4.54);
});

test("every swatch has the secondary text colour as its edge", () => {
  const css = read("widgets/lib/base.css");
  const rule = css.match(/\n\.wb-swatch \{([^}]*)\}/);
  assert.ok(rule, ".wb-swatch rule in lib/base.css");
  assert.match(rule[1], /border:\s*1px solid var\(--wb-fg2\);/);
  assert.match(css, /--wb-fg2: var\(--jp-ui-font-color2, rgba\(0, 0, 0, 0\.54\)\);/);
});

test("every default class colour stands out (3:1) from every background of both themes", () => {
  const failures = [];
  for (const color of palette()) {
    const fill = colorRgb(color);
    for (const [theme, { backgrounds, fg2 }] of Object.entries(THEMES)) {
      for (const [where, bgHex] of Object.entries(backgrounds)) {
        const bg = colorRgb(bgHex);
        const edge = contrast(over(fg2, bg), bg);
        const best = Math.max(contrast(fill, bg), edge);
        if (best < 3) failures.push(`${color} on ${theme} ${where}: ${best.toFixed(2)}`);
        assert.ok(edge >= 3, `the edge on ${theme} ${where}: ${edge.toFixed(2)}`);
      }
    }
  }
  assert.deepEqual(failures, []);
});

test("without the edge, some default colours would vanish: the edge is what carries them", () => {
  const faint = [];
  for (const color of palette()) {
    for (const [theme, { backgrounds }] of Object.entries(THEMES)) {
      if (contrast(colorRgb(color), colorRgb(backgrounds.layout1)) < 3) faint.push(`${color}/${theme}`);
    }
  }
  // Yellow on white and dark blue on the dark theme, at least.
  assert.ok(faint.includes("#F0E442/light"), faint.join(" "));
  assert.ok(faint.includes("#332288/dark"), faint.join(" "));
});
