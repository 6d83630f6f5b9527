// The npm packages whose code esbuild put into a bundle, from its metafile: every input under
// node_modules belongs to the nearest package.json above it. Shared by the build (which writes
// their licenses next to the bundles) and the test that checks that list is complete.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** [{ dir, name, version, license }] sorted by name, each package once. */
export function bundledPackages(metafiles, cwd = process.cwd()) {
  const byDir = new Map();
  for (const metafile of metafiles) {
    for (const output of Object.values(metafile.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        if (bytesInOutput === 0 || !input.includes("node_modules/")) continue;
        const dir = packageDir(path.resolve(cwd, input));
        if (dir && !byDir.has(dir)) byDir.set(dir, JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")));
      }
    }
  }
  return [...byDir]
    // A nested package.json without a name only marks a folder's module type: skip to its package.
    .filter(([, pkg]) => pkg.name)
    .map(([dir, pkg]) => ({ dir, name: pkg.name, version: pkg.version, license: typeof pkg.license === "string" ? pkg.license : (pkg.license?.type ?? null) }))
    .sort((a, b) => (a.name === b.name ? a.version.localeCompare(b.version) : a.name < b.name ? -1 : 1));
}

// Folder -> its package's folder (null: none above it); a package's files share their folders.
const packageDirs = new Map();

function packageDir(file) {
  const dir = path.dirname(file);
  if (dir === file) return null;
  if (!packageDirs.has(dir)) {
    const manifest = path.join(dir, "package.json");
    packageDirs.set(dir, existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name ? dir : packageDir(dir));
  }
  return packageDirs.get(dir);
}
