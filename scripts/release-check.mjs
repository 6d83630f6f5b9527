// The release gate: a version tag may only publish what package.json says it is.
//
// `node scripts/release-check.mjs TAG [ROOT]` (ROOT: the repository, default this one). Passes when
// TAG is vMAJOR.MINOR.PATCH (optionally -PRERELEASE), package.json's and package-lock.json's
// versions equal it without the `v`, and CHANGELOG.md has its section (`## [1.2.3]`). On success,
// and when GITHUB_OUTPUT is set, it writes the outputs the release workflow needs: version, major
// (the tag that may move: v1) and prerelease (true/false). Whether v1 moves and npm's dist-tag
// depend on the tags and versions already released: scripts/release-channel.mjs decides those.
// Exit 0: release; 1: do not release, with every reason on stderr.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseVersion } from "./release-channel.mjs";

/**
 * What releasing `tag` from `root` would publish, or why it must not: `{ problems: string[] }`,
 * plus `version`, `major` and `prerelease` when the tag itself is well formed.
 */
export function checkRelease(tag, root) {
  // The tag grammar is release-channel.mjs's (SemVer 2.0.0 without build metadata: npm drops it,
  // so two tags would publish one version), so the gate and the channel decisions accept the same
  // tags. parseVersion also takes a bare 1.2.3; a release tag must have its `v`.
  const parsed = tag.startsWith("v") ? parseVersion(tag) : null;
  if (!parsed) return { problems: [`tag ${JSON.stringify(tag)} is not a release tag: use vMAJOR.MINOR.PATCH, e.g. v1.2.3 (or v1.2.3-rc.1 for a pre-release)`] };
  const version = tag.slice(1);
  const prerelease = parsed.prerelease.length > 0;
  // The major as the tag spells it, not parsed.major: a Number would print a 22-digit major as 1e+21.
  const major = `v${version.slice(0, version.indexOf("."))}`;
  const problems = [];
  const pkg = readJson(path.join(root, "package.json"), problems);
  if (pkg && pkg.version !== version) problems.push(`package.json: version is ${JSON.stringify(pkg.version)} but the tag is ${tag}: run \`npm version ${version} --no-git-tag-version\`, commit, and tag that commit (or delete the tag)`);
  const lockPath = path.join(root, "package-lock.json");
  if (existsSync(lockPath)) {
    const lock = readJson(lockPath, problems);
    const lockVersions = lock ? [lock.version, lock.packages?.[""]?.version].filter((v) => v !== undefined) : [];
    if (lock && lockVersions.some((v) => v !== version)) problems.push(`package-lock.json: version is ${JSON.stringify(lockVersions.find((v) => v !== version))} but the tag is ${tag}: run \`npm install\` to update it, and commit it`);
  }
  const changelogPath = path.join(root, "CHANGELOG.md");
  if (!existsSync(changelogPath)) problems.push(`CHANGELOG.md: missing; add it with a "## [${version}]" section`);
  else if (!changelogHasSection(readFileSync(changelogPath, "utf8"), version)) problems.push(`CHANGELOG.md: no "## [${version}]" section: move the [Unreleased] entries under it`);
  return { problems, version, major, prerelease };
}

function readJson(file, problems) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    problems.push(`${path.basename(file)}: cannot read it as JSON (${error.message})`);
    return null;
  }
}

/** Keep a Changelog's release heading: `## [1.2.3] - 2026-11-29` (the date is optional here). */
function changelogHasSection(text, version) {
  const escaped = version.replace(/[.+]/g, "\\$&");
  return new RegExp(`^## \\[${escaped}\\](?:\\s|$)`, "m").test(text);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [tag, rootArg] = process.argv.slice(2);
  if (tag === undefined) {
    process.stderr.write("usage: node scripts/release-check.mjs TAG [ROOT]   (e.g. v1.2.3)\n");
    process.exit(1);
  }
  const root = path.resolve(rootArg ?? fileURLToPath(new URL("..", import.meta.url)));
  const result = checkRelease(tag, root);
  if (result.problems.length > 0) {
    for (const problem of result.problems) process.stderr.write(`release-check: ${problem}\n`);
    process.exit(1);
  }
  if (process.env.GITHUB_OUTPUT) {
    appendFileSync(process.env.GITHUB_OUTPUT, `version=${result.version}\nmajor=${result.major}\nprerelease=${result.prerelease}\n`);
  }
  process.stdout.write(`release-check: ${tag} matches package.json ${result.version}${result.prerelease ? " (pre-release: npm dist-tag next, the major tag stays)" : ` (${result.major} moves to it when it is the highest ${result.major}.* tag; npm's latest when higher than npm's)`}\n`);
}
