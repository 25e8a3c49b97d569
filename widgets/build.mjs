// Bundles the widget front ends into workbench/static (ES modules for anywidget).
//   node widgets/build.mjs            build classify, gallery, review, annotate, annotate_text, annotate_audio and annotate_video .js/.css
//   node widgets/build.mjs --watch    rebuild on change
//   node widgets/build.mjs --tests    also bundle tests/js/*.test.mjs into build/js-tests
import * as esbuild from "esbuild";
import { readdirSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = new Set(process.argv.slice(2));
const widgets = ["classify", "gallery", "review", "annotate", "annotate_text", "annotate_audio", "annotate_video"];
const outdir = join(root, "workbench", "static");
mkdirSync(outdir, { recursive: true });

const common = {
  bundle: true,
  logLevel: "warning",
  absWorkingDir: root,
};

const builds = [
  {
    ...common,
    entryPoints: Object.fromEntries(widgets.map((w) => [w, join(root, "widgets", `${w}.ts`)])),
    outdir,
    format: "esm",
    target: ["es2020"],
    minify: !args.has("--dev"),
    sourcemap: false,
    legalComments: "none",
  },
  {
    ...common,
    entryPoints: Object.fromEntries(widgets.map((w) => [w, join(root, "widgets", `${w}.css`)])),
    outdir,
    minify: !args.has("--dev"),
  },
];

if (args.has("--tests")) {
  const testDir = join(root, "tests", "js");
  const testOut = join(root, "build", "js-tests");
  rmSync(testOut, { recursive: true, force: true });
  const entries = readdirSync(testDir).filter((f) => f.endsWith(".test.mjs") || f.endsWith(".test.ts"));
  builds.push({
    ...common,
    entryPoints: entries.map((f) => join(testDir, f)),
    outdir: testOut,
    outExtension: { ".js": ".mjs" },
    format: "esm",
    platform: "node",
    target: ["node18"],
    packages: "external",
    sourcemap: "inline",
  });
}

if (args.has("--watch")) {
  for (const b of builds) {
    const ctx = await esbuild.context(b);
    await ctx.watch();
  }
  console.log("watching widgets/ …");
} else {
  const t0 = Date.now();
  await Promise.all(builds.map((b) => esbuild.build(b)));
  console.log(`built ${widgets.map((w) => `workbench/static/${w}.{js,css}`).join(", ")} in ${Date.now() - t0} ms`);
}
