/**
 * Import roots: the repo directories a flow's imports resolve from, besides the flow's own
 * directory (what `PYTHONPATH` holds in the repo's CI). Default: the root plus the package
 * directories `pyproject.toml` and `setup.cfg` declare (a `src/` layout). Both files are repo
 * content, so a PR's: bounded, never thrown on; a file that cannot be read gives a notice naming
 * it and adds nothing.
 */
import path from "node:path";
import { parse as parseToml } from "smol-toml";

/** A project file is a few kilobytes; what is larger is not read. */
export const MAX_PROJECT_FILE_BYTES = 256 * 1024;
/** Import roots one repo may have (config file or project files). */
export const MAX_IMPORT_ROOTS = 32;
/** Nesting of TOML arrays and inline tables: package declarations need three levels. */
const MAX_TOML_DEPTH = 16;
/** Characters of one declared directory. */
const MAX_DIR_CHARS = 1024;

/** One project file's text, or why it could not be read. */
export type ProjectFile = { name: "pyproject.toml" | "setup.cfg"; text: string } | { name: "pyproject.toml" | "setup.cfg"; error: string };

export interface ImportRootsFound {
  /** Repo-relative POSIX directories, `.` first, in declaration order, without duplicates. */
  roots: string[];
  /** What the user should know: a file that could not be read, a declaration that was ignored. */
  notices: string[];
}

/** `dir` as a repo-relative POSIX directory (`.` for the root), or `null` when it leaves the root. */
export function repoDirectory(dir: string): string | null {
  if (dir.length > MAX_DIR_CHARS || dir.includes("\0")) return null;
  const slashed = dir.replace(/\\/g, "/");
  if (path.posix.isAbsolute(slashed) || path.win32.isAbsolute(dir)) return null;
  const normalized = path.posix.normalize(slashed === "" ? "." : slashed).replace(/\/+$/, "") || ".";
  return normalized === ".." || normalized.startsWith("../") ? null : normalized;
}

/** A declared directory: collected when it stays inside the root, otherwise a notice naming the key. */
class Collector {
  readonly dirs: string[] = [];
  readonly notices: string[] = [];
  constructor(private readonly file: string) {}

  add(key: string, dir: unknown): void {
    if (typeof dir !== "string") {
      this.notices.push(`${this.file}: ${key}: not a directory name, ignored.`);
      return;
    }
    const normalized = repoDirectory(dir);
    if (normalized === null) this.notices.push(`${this.file}: ${key}: '${dir.slice(0, 80)}' is not a directory inside the repo, ignored.`);
    else this.dirs.push(normalized);
  }

  /** `package = "lib/package"`: `lib` holds it, when the directory has the package's name (else no sys.path entry can import it). */
  addPackageDir(key: string, name: string, dir: unknown): void {
    if (typeof dir !== "string") return this.add(key, dir);
    const normalized = repoDirectory(dir);
    if (normalized === null) return this.add(key, dir);
    if (name === "") this.dirs.push(normalized);
    else if (!name.includes(".") && path.posix.basename(normalized) === name) this.dirs.push(path.posix.dirname(normalized));
    else this.notices.push(`${this.file}: ${key}: package ${name.slice(0, 80)} in '${dir.slice(0, 80)}' cannot be imported from an import root, ignored.`);
  }
}

const isTable = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
const tableAt = (root: unknown, ...keys: string[]): Record<string, unknown> | undefined => {
  let current = root;
  for (const key of keys) {
    if (!isTable(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return isTable(current) ? current : undefined;
};
const own = (table: Record<string, unknown> | undefined, key: string): unknown => (table && Object.hasOwn(table, key) ? table[key] : undefined);
const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** The package directories a `pyproject.toml` declares (setuptools, hatch, poetry, pdm). */
export function pyprojectPackageDirs(text: string, file = "pyproject.toml"): ImportRootsFound {
  const found = new Collector(file);
  let doc: unknown;
  try {
    doc = parseToml(text, { maxDepth: MAX_TOML_DEPTH, unsafeKeyBehaviour: "drop" });
  } catch (error) {
    // smol-toml's TomlError has the line; the first line of its message says what is wrong.
    const line = typeof (error as { line?: unknown }).line === "number" ? `line ${(error as { line: number }).line}: ` : "";
    const why = error instanceof Error ? error.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "").slice(0, 200) : "unreadable";
    return { roots: [], notices: [`${file} is not valid TOML (${line}${why}); its package directories are not import roots.`] };
  }
  const tool = tableAt(doc, "tool");

  // setuptools: package-dir = {"" = "src"} (or {"pkg" = "lib/pkg"}); packages.find.where = ["src"].
  const setuptools = tableAt(tool, "setuptools");
  const packageDir = own(setuptools, "package-dir");
  if (isTable(packageDir)) {
    for (const [name, dir] of Object.entries(packageDir)) found.addPackageDir(`tool.setuptools.package-dir.${name || '""'}`, name, dir);
  } else if (packageDir !== undefined) found.add("tool.setuptools.package-dir", packageDir);
  const find = tableAt(setuptools, "packages", "find");
  for (const dir of listOf(own(find, "where"))) found.add("tool.setuptools.packages.find.where", dir);

  // hatch: packages = ["src/pkg"] (the package's parent is the root); sources = ["src"] or {"src" = ""}.
  const wheel = tableAt(tool, "hatch", "build", "targets", "wheel");
  const build = tableAt(tool, "hatch", "build");
  for (const table of [wheel, build]) {
    for (const entry of listOf(own(table, "packages"))) {
      if (typeof entry !== "string") found.add("tool.hatch.build.targets.wheel.packages", entry);
      else {
        const normalized = repoDirectory(entry);
        if (normalized === null || normalized === ".") found.add("tool.hatch.build.targets.wheel.packages", entry);
        else found.dirs.push(path.posix.dirname(normalized));
      }
    }
    const sources = own(table, "sources");
    if (Array.isArray(sources)) for (const dir of sources) found.add("tool.hatch.build.targets.wheel.sources", dir);
    else if (isTable(sources)) {
      for (const [from, to] of Object.entries(sources)) {
        if (to === "") found.add(`tool.hatch.build.targets.wheel.sources.${from}`, from);
        else found.notices.push(`${file}: tool.hatch.build.targets.wheel.sources.${from.slice(0, 80)}: renames the directory, ignored.`);
      }
    }
  }

  // poetry: packages = [{ include = "pkg", from = "src" }]; without `from`, the root.
  for (const entry of listOf(own(tableAt(tool, "poetry"), "packages"))) {
    if (isTable(entry) && own(entry, "from") !== undefined) found.add("tool.poetry.packages.from", own(entry, "from"));
  }

  // pdm-backend: [tool.pdm.build] package-dir = "src".
  const pdm = own(tableAt(tool, "pdm", "build"), "package-dir");
  if (pdm !== undefined) found.add("tool.pdm.build.package-dir", pdm);

  return { roots: found.dirs, notices: found.notices };
}

/**
 * The sections of an INI file (`setup.cfg`) as configparser reads them: `key = value` or
 * `key: value`, a value continued on the indented lines below it, `#`/`;` comment lines. Keys
 * are lower-cased, as configparser does. One pass over the lines.
 */
export function readIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let section: Map<string, string> | null = null;
  let key: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, "");
    const stripped = line.trimStart();
    if (stripped === "" || stripped.startsWith("#") || stripped.startsWith(";")) continue;
    if (line !== stripped && section && key !== null) {
      section.set(key, `${section.get(key)}\n${stripped}`);
      continue;
    }
    const header = /^\[([^\]]*)\]/.exec(stripped);
    if (header) {
      const name = header[1]!.trim();
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
      key = null;
      continue;
    }
    const separator = stripped.search(/[=:]/);
    if (!section || separator <= 0) {
      key = null;
      continue;
    }
    key = stripped.slice(0, separator).trim().toLowerCase();
    section.set(key, stripped.slice(separator + 1).trim());
  }
  return sections;
}

/** The package directories a `setup.cfg` declares: `[options] package_dir`, `[options.packages.find] where`. */
export function setupCfgPackageDirs(text: string, file = "setup.cfg"): ImportRootsFound {
  const found = new Collector(file);
  const sections = readIni(text);
  // package_dir is a dict written one `name = dir` per line (`= src` for the root package).
  const packageDir = sections.get("options")?.get("package_dir");
  for (const line of (packageDir ?? "").split("\n").map((entry) => entry.trim()).filter(Boolean)) {
    const separator = line.indexOf("=");
    if (separator < 0) found.add("options.package_dir", undefined);
    else found.addPackageDir("options.package_dir", line.slice(0, separator).trim(), line.slice(separator + 1).trim());
  }
  const where = sections.get("options.packages.find")?.get("where");
  for (const dir of (where ?? "").split(/[\n,]/).map((entry) => entry.trim()).filter(Boolean)) found.add("options.packages.find.where", dir);
  return { roots: found.dirs, notices: found.notices };
}

/** `.` first, then each directory once, at most MAX_IMPORT_ROOTS. */
function bounded(roots: string[], notices: string[]): ImportRootsFound {
  const unique = [...new Set([".", ...roots])];
  if (unique.length > MAX_IMPORT_ROOTS) notices.push(`The project files declare ${unique.length} package directories; mfdag uses the first ${MAX_IMPORT_ROOTS}.`);
  return { roots: unique.slice(0, MAX_IMPORT_ROOTS), notices };
}

/** The default import roots from the repo's project files (a missing file is passed as absent). */
export function defaultImportRoots(files: readonly ProjectFile[]): ImportRootsFound {
  const roots: string[] = [];
  const notices: string[] = [];
  for (const file of files) {
    if ("error" in file) {
      notices.push(`${file.name} cannot be read (${file.error}); its package directories are not import roots.`);
      continue;
    }
    const found = file.name === "pyproject.toml" ? pyprojectPackageDirs(file.text, file.name) : setupCfgPackageDirs(file.text, file.name);
    roots.push(...found.roots);
    notices.push(...found.notices);
  }
  return bounded(roots, notices);
}
