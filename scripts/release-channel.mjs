// Where a release goes, so that a backport (v1.0.1 released after v1.1.0) never moves users
// backwards: the major tag (v1) moves only to the highest stable v1.* tag, and npm's `latest` only
// to a version higher than the one it has.
//
// `node scripts/release-channel.mjs major-tag TAG [REMOTE]` reads REMOTE's tags (default origin,
// `git ls-remote --tags`) and prints `move` when TAG is the highest stable tag of its major, else
// `stay`; the reason goes to stderr.
// `node scripts/release-channel.mjs npm-dist-tag TAG [PACKAGE]` asks the registry npm is configured
// for (`npm view PACKAGE dist-tags.latest`, PACKAGE default mfdag; a package npm has never heard
// of counts as nothing) and prints the dist-tag to publish under: `next` for a pre-release,
// `latest` when TAG is higher than npm's latest, else `vMAJOR-backport`.
// Both also write `major-tag=move|stay` / `dist-tag=...` to GITHUB_OUTPUT when it is set.
// Exit 0: decided; 1: could not decide (bad tag, git or npm failed): never a guess.
import { execFileSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

// SemVer 2.0.0 without build metadata. release-check.mjs gates tags with parseVersion too, so this
// is the one place the release tag grammar is written.
const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$/;

/** A child process that hangs (a remote that never answers) must not hold the release job. */
const CHILD_TIMEOUT_MS = 60_000;

/** `1.2.3-rc.1` (or `v1.2.3-rc.1`) as numbers and pre-release identifiers, or null when it is not a version. */
export function parseVersion(text) {
  const match = VERSION.exec(text.startsWith("v") ? text.slice(1) : text);
  if (!match) return null;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]), prerelease: match[4] === undefined ? [] : match[4].split(".") };
}

/** SemVer 2.0.0 precedence (section 11): negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a, b) {
  for (const key of ["major", "minor", "patch"]) if (a[key] !== b[key]) return a[key] - b[key];
  // A version without a pre-release is higher than one with (1.0.0 > 1.0.0-rc.1).
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return b.prerelease.length - a.prerelease.length;
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const [x, y] = [a.prerelease[i], b.prerelease[i]];
    if (x === y) continue;
    const [xNumeric, yNumeric] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (xNumeric && yNumeric) return Number(x) - Number(y);
    if (xNumeric !== yNumeric) return xNumeric ? -1 : 1; // numeric identifiers are lower
    return x < y ? -1 : 1; // ASCII order
  }
  return a.prerelease.length - b.prerelease.length;
}

/**
 * Whether releasing `tag` moves its major tag, given the tag names the remote has: only when no
 * stable tag of the same major is higher (the tag itself is among them once pushed). A pre-release
 * never moves it. Returns `{ move, major, reason }`.
 */
export function majorTagDecision(tag, remoteTags) {
  const version = parseVersion(tag);
  if (!version || !tag.startsWith("v")) throw new Error(`${JSON.stringify(tag)} is not a release tag (vMAJOR.MINOR.PATCH)`);
  const major = `v${version.major}`;
  if (version.prerelease.length > 0) return { move: false, major, reason: `${tag} is a pre-release: ${major} stays` };
  const higher = remoteTags
    .filter((name) => name.startsWith("v"))
    .map((name) => ({ name, version: parseVersion(name) }))
    .filter((t) => t.version && t.version.major === version.major && t.version.prerelease.length === 0 && compareVersions(t.version, version) > 0)
    .sort((a, b) => compareVersions(b.version, a.version));
  if (higher.length > 0) return { move: false, major, reason: `${higher[0].name} is higher than ${tag}: ${major} stays (a backport)` };
  return { move: true, major, reason: `${tag} is the highest stable ${major}.* tag: ${major} moves to it` };
}

/**
 * npm's dist-tag for `tag`, given the version npm's `latest` has (null: the package is not on npm
 * yet): `next` for a pre-release, `latest` when higher, else `vMAJOR-backport` (npm refuses a
 * dist-tag that is a SemVer range, such as `v1`). Returns `{ distTag, reason }`.
 */
export function npmDistTagDecision(tag, npmLatest) {
  const version = parseVersion(tag);
  if (!version || !tag.startsWith("v")) throw new Error(`${JSON.stringify(tag)} is not a release tag (vMAJOR.MINOR.PATCH)`);
  if (version.prerelease.length > 0) return { distTag: "next", reason: `${tag} is a pre-release: npm dist-tag next` };
  if (npmLatest === null) return { distTag: "latest", reason: `npm has no version of the package yet: ${tag} becomes latest` };
  const latest = parseVersion(npmLatest);
  if (!latest) throw new Error(`npm's latest is ${JSON.stringify(npmLatest)}, not a version`);
  if (compareVersions(version, latest) > 0) return { distTag: "latest", reason: `${tag} is higher than npm's latest ${npmLatest}: it becomes latest` };
  const distTag = `v${version.major}-backport`;
  return { distTag, reason: `npm's latest ${npmLatest} is not lower than ${tag}: published under ${distTag}, latest stays` };
}

/** The tag names `remote` has (`git ls-remote --tags`; peeled `^{}` entries folded into their tag). */
export function remoteTagNames(remote, cwd = process.cwd()) {
  const out = execFileSync("git", ["ls-remote", "--tags", remote], { cwd, encoding: "utf8", timeout: CHILD_TIMEOUT_MS, stdio: ["ignore", "pipe", "pipe"] });
  const names = out
    .split("\n")
    .map((line) => line.split("\t")[1])
    .filter((ref) => ref !== undefined && ref.startsWith("refs/tags/"))
    .map((ref) => ref.slice("refs/tags/".length).replace(/\^\{\}$/, ""));
  return [...new Set(names)];
}

/**
 * npm's `latest` version of `pkg`, or null when the registry does not know the package (E404).
 * Any other failure (network, auth) throws: guessing "nothing published" would publish a backport
 * as latest.
 */
export function npmLatest(pkg) {
  let out;
  try {
    out = execFileSync("npm", ["view", pkg, "dist-tags.latest", "--json"], { encoding: "utf8", timeout: CHILD_TIMEOUT_MS, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const text = `${error.stdout ?? ""}\n${error.stderr ?? ""}`;
    if (/\bE404\b/.test(text)) return null;
    throw new Error(`npm view ${pkg} dist-tags.latest failed: ${(error.stderr || error.message || "").trim()}`);
  }
  const trimmed = out.trim();
  // A package whose dist-tags have no latest prints nothing: nothing to be compared with.
  if (trimmed === "") return null;
  const value = JSON.parse(trimmed);
  if (typeof value !== "string") throw new Error(`npm view ${pkg} dist-tags.latest printed ${trimmed}, not a version`);
  return value;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [command, tag, arg] = process.argv.slice(2);
  const usage = "usage: node scripts/release-channel.mjs major-tag TAG [REMOTE] | npm-dist-tag TAG [PACKAGE]\n";
  if (tag === undefined || !["major-tag", "npm-dist-tag"].includes(command)) {
    process.stderr.write(usage);
    process.exit(1);
  }
  try {
    if (command === "major-tag") {
      const decision = majorTagDecision(tag, remoteTagNames(arg ?? "origin"));
      const answer = decision.move ? "move" : "stay";
      process.stderr.write(`release-channel: ${decision.reason}\n`);
      if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `major-tag=${answer}\n`);
      process.stdout.write(`${answer}\n`);
    } else {
      const decision = npmDistTagDecision(tag, npmLatest(arg ?? "mfdag"));
      process.stderr.write(`release-channel: ${decision.reason}\n`);
      if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `dist-tag=${decision.distTag}\n`);
      process.stdout.write(`${decision.distTag}\n`);
    }
  } catch (error) {
    process.stderr.write(`release-channel: ${error.message}\n`);
    process.exit(1);
  }
}
