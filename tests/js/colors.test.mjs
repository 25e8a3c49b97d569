// Class colours reach styles (chips, badges, swatches, canvas fills) only as hex or
// CSS named colours: a schema colour such as url(...) must never make the browser
// fetch anything (issue 12). The kernel refuses such schemas; these tests hold the
// front end's own check, for a schema that got past it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { widgetTests, FakeModel, FakeKernel, textItems, press, click, galleryState, classSchema } from "./helpers.mjs";
import { colorOf, colorRgb, CSS_COLORS, FALLBACK_COLOR, safeColor } from "../../widgets/lib/colors.ts";
import { classChip } from "../../widgets/lib/guidelines.ts";
import { classRgb, ShapeGraphics } from "../../widgets/annotate/paths.ts";
import gallery from "../../widgets/gallery.ts";

const { show } = widgetTests(gallery.render, ".wb-gallery");

const HOSTILE = [
  "url(http://attacker.example/pixel.png)",
  "URL(//attacker.example/x)",
  "red url(http://attacker.example/x)",
  "red;background-image:url(http://attacker.example/x)",
  "var(--jp-secret)",
  "expression(alert(1))",
  "image-set(\"http://attacker.example/x\" 1x)",
  " red",
  "red ",
  "#12",
  "#12345",
  "#1234567",
  "#gggggg",
  "rgb(1,2,3)",
  "transparent",
  "currentcolor",
  "",
  "constructor",
  "__proto__",
  "toString",
];

test("safeColor keeps hex and CSS named colours and nothing else", () => {
  for (const ok of ["#abc", "#ABCD", "#a1b2c3", "#A1B2C3D4"]) assert.equal(safeColor(ok), ok);
  assert.equal(safeColor("teal"), "teal");
  assert.equal(safeColor("RebeccaPurple"), "rebeccapurple", "named colours are case-insensitive");
  assert.equal(Object.keys(CSS_COLORS).length, 148);
  for (const bad of HOSTILE) assert.equal(safeColor(bad), FALLBACK_COLOR, bad);
  for (const bad of [null, undefined, 7, ["#fff"], { toString: () => "#fff" }]) assert.equal(safeColor(bad), FALLBACK_COLOR);
  assert.equal(safeColor("url(x)", "#000"), "#000", "the caller's fallback");
});

test("colorRgb reads every hex form and named colour, and falls back for the rest", () => {
  assert.deepEqual(colorRgb("#abc"), [0xaa, 0xbb, 0xcc]);
  assert.deepEqual(colorRgb("#abcd"), [0xaa, 0xbb, 0xcc], "alpha dropped");
  assert.deepEqual(colorRgb("#0a1B2c"), [0x0a, 0x1b, 0x2c]);
  assert.deepEqual(colorRgb("#0a1b2c80"), [0x0a, 0x1b, 0x2c]);
  assert.deepEqual(colorRgb("teal"), [0, 128, 128]);
  assert.deepEqual(colorRgb("Crimson"), [220, 20, 60]);
  for (const bad of HOSTILE) assert.deepEqual(colorRgb(bad), [153, 153, 153], bad);
});

test("a class chip's swatch and a badge colour never carry a hostile colour", () => {
  for (const bad of HOSTILE) {
    const chip = classChip({ name: "cat", key: "1", color: bad, description: "" });
    const style = chip.querySelector(".wb-swatch").getAttribute("style") || "";
    assert.ok(!/url|var|expression|image-set/i.test(style), `${bad} -> ${style}`);
    assert.equal(colorOf([{ name: "cat", color: bad }], "cat"), FALLBACK_COLOR);
  }
  const chip = classChip({ name: "cat", key: "1", color: "teal", description: "" });
  assert.match(chip.querySelector(".wb-swatch").getAttribute("style"), /teal/);
  assert.equal(colorOf([{ name: "cat", color: "#E69F00" }], "cat"), "#E69F00");
  assert.equal(colorOf([{ name: "cat", color: "#E69F00" }], "dog"), FALLBACK_COLOR, "a class not in the schema");
});

test("the annotate widget's canvas colours fall back for a hostile colour", () => {
  assert.deepEqual(classRgb("url(http://attacker.example/x)"), [153, 153, 153]);
  const spec = { name: "boxes", kind: "shapes", classes: [{ name: "car", color: "url(http://attacker.example/x)" }, { name: "bus", color: "navy" }, { name: "van", color: "#0f0" }] };
  const g = new ShapeGraphics(spec);
  assert.deepEqual(g.colorOf("car"), [153, 153, 153]);
  assert.deepEqual(g.colorOf("bus"), [0, 0, 128]);
  assert.deepEqual(g.colorOf("van"), [0, 255, 0]);
  assert.deepEqual(g.colorOf("gone"), [153, 153, 153], "a class no longer in the schema");
});

test("the gallery paints no hostile colour into chips, badges or swatches", () => {
  const schema = classSchema(["cat", "dog"], { multi: true });
  schema.classes[0].color = "url(http://attacker.example/cat.png)";
  schema.classes[1].color = "red;background:url(http://attacker.example/dog.png)";
  const model = new FakeModel(galleryState({ schema }));
  const kernel = new FakeKernel(model, textItems(10));
  const { root } = show(model);
  kernel.flush();
  click(root.querySelectorAll(".wb-tile")[0]);
  press(root, "1");
  press(root, "2");
  kernel.flush();
  const styled = [...root.querySelectorAll("[style]")].map((el) => el.getAttribute("style"));
  assert.ok(styled.length > 2, "chips, the badge and its swatches are styled");
  for (const style of styled) assert.ok(!/url|attacker/i.test(style), style);
  assert.equal(root.querySelectorAll(".wb-tile")[0].dataset.label, "cat, dog");
});
