// Build the prebuilt extension into ../workbench/labextension without Python.
//
// `build-labextension` (@jupyterlab/builder 4.5) wants `--core-path`, a folder whose
// package.json lists JupyterLab's shared packages; `jupyter labextension build`
// passes the Python jupyterlab's staging folder. @jupyterlab/core-meta ships that
// same file as core.package.json, so copy it into a folder of its own and point
// the builder there: the build then needs Node.js only (also in `pip install .`).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const core = join(here, 'node_modules', '.core-meta');
mkdirSync(core, { recursive: true });
copyFileSync(
  require.resolve('@jupyterlab/core-meta/core.package.json'),
  join(core, 'package.json')
);

const development = process.argv.includes('--development');
const steps = [
  [require.resolve('typescript/bin/tsc'), '-p', join(here, 'tsconfig.json')],
  [
    require.resolve('@jupyterlab/builder/lib/build-labextension.js'),
    '--core-path', core,
    ...(development ? ['--development'] : []),
    here
  ]
];
for (const args of steps) {
  const { status } = spawnSync(process.execPath, args, { cwd: here, stdio: 'inherit' });
  if (status !== 0) {
    process.exit(status ?? 1);
  }
}

// install.json tells `jupyter labextension list` that pip installed the panel.
const output = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).jupyterlab.outputDir;
copyFileSync(join(here, 'install.json'), join(here, output, 'install.json'));
