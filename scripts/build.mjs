// Bundles the two entry points into dist/. esbuild is used because it bundles ESM-only
// dependencies (execa, @actions/*) into one file per entry in well under a second, and its
// output is deterministic, which the dist check in .ci/run relies on.
import { build } from "esbuild";

// `node scripts/build.mjs [OUTDIR]`: OUTDIR (default dist) lets the dist check build elsewhere and compare.
const outdir = process.argv[2] ?? "dist";

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
  // Some CommonJS dependencies (nunjucks) call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __mfdagCreateRequire } from 'node:module';\nconst require = __mfdagCreateRequire(import.meta.url);",
  },
};

await build({ ...common, entryPoints: ["src/cli.ts"], outfile: `${outdir}/cli.js`, banner: { js: "#!/usr/bin/env node\n" + common.banner.js } });
await build({ ...common, entryPoints: ["src/index.ts"], outfile: `${outdir}/index.js` });
