// Bundles the two entry points into dist/. esbuild is used because it bundles ESM-only
// dependencies (execa, @actions/*) into one file per entry in well under a second, and its
// output is deterministic, which the dist check in .ci/run relies on.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { bundledPackages } from "./bundled-packages.mjs";

// `node scripts/build.mjs [OUTDIR]`: OUTDIR (default dist) lets the dist check build elsewhere and compare.
const outdir = process.argv[2] ?? "dist";
// The version `mfdag --version` prints and the SARIF names: package.json's, never a second literal.
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
  define: { __MFDAG_VERSION__: JSON.stringify(version) },
  // Some CommonJS dependencies (nunjucks) call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __mfdagCreateRequire } from 'node:module';\nconst require = __mfdagCreateRequire(import.meta.url);",
  },
};

const cli = await build({ ...common, metafile: true, entryPoints: ["src/cli.ts"], outfile: `${outdir}/cli.js`, banner: { js: "#!/usr/bin/env node\n" + common.banner.js } });
const action = await build({ ...common, metafile: true, entryPoints: ["src/index.ts"], outfile: `${outdir}/index.js` });

// The bundles are copies of other people's code, and their licenses (MIT, ISC, BSD, Apache) ask
// that the notice travel with every copy: dist/licenses.txt has each bundled package's license.
writeFileSync(`${outdir}/licenses.txt`, licensesText([cli.metafile, action.metafile]));

function licensesText(metafiles) {
  const sections = bundledPackages(metafiles).map(({ dir, name, version, license }) => {
    const file = readdirSync(dir).filter((entry) => /^(licen[cs]e|copying|notice)(\.(md|txt|markdown))?$/i.test(entry)).sort()[0];
    const text = file ? readFileSync(path.join(dir, file), "utf8").trim() : `(no license file in the package; package.json says: ${license ?? "nothing"})`;
    return `${name}@${version} (${license ?? "no license field"})\n\n${text}\n`;
  });
  return `Third-party code bundled into dist/cli.js and dist/index.js, with its licenses.\n\n${"-".repeat(80)}\n${sections.join(`\n${"-".repeat(80)}\n`)}`;
}
