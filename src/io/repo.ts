/** The checked repo on disk: which Python files count, and reading them with a size bound. */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import picomatch from "picomatch";
import type { RepoReader } from "../core/ports.js";

// Directories that hold other people's code or tool state, never the user's flows.
const SKIPPED_DIRS = new Set([".git", "node_modules", "venv", ".venv", "site-packages", "__pycache__", ".tox", ".nox", ".metaflow"]);

function inSkippedDir(file: string, venvDirs: readonly string[]): boolean {
  const parts = file.split("/");
  if (parts.slice(0, -1).some((part) => SKIPPED_DIRS.has(part))) return true;
  return venvDirs.some((dir) => dir === "" || file.startsWith(dir + "/"));
}

/** Every child process has a deadline; past it the listing falls back to walking the tree. */
const GIT_TIMEOUT_MS = 120_000;

async function gitFiles(root: string): Promise<string[] | null> {
  const inside = await execa("git", ["-C", root, "rev-parse", "--is-inside-work-tree"], { reject: false, timeout: GIT_TIMEOUT_MS, stdin: "ignore" });
  if (inside.exitCode !== 0 || inside.stdout.trim() !== "true") return null;
  // Tracked files plus untracked ones git would track: .gitignore is respected.
  const listed = await execa("git", ["-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "."], { reject: false, stripFinalNewline: false, timeout: GIT_TIMEOUT_MS, stdin: "ignore" });
  if (listed.exitCode !== 0) return null;
  return [...new Set(listed.stdout.split("\0").filter(Boolean))];
}

/**
 * Outside a git work tree: every `.py` file and `pyvenv.cfg` under `root`, symlinks included as
 * entries (so a link loop or a link out of the root gets its own result when read) but never
 * followed into directories, and without descending into skipped directories at all.
 */
async function walkFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const pending = [""];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let entries;
    try {
      entries = await readdir(path.join(root, dir), { withFileTypes: true });
    } catch {
      continue; // unreadable directory: nothing in it can be checked
    }
    for (const entry of entries) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) pending.push(rel);
      } else if (entry.name.endsWith(".py") || entry.name === "pyvenv.cfg") {
        out.push(rel);
      }
    }
  }
  return out;
}

/** `undefined` where the platform has no such flags (Windows): reads then resolve links first. */
const NO_FOLLOW = constants.O_NOFOLLOW === undefined || constants.O_NONBLOCK === undefined ? undefined : constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Opens a file that is not a link (O_NOFOLLOW) without waiting on a FIFO (O_NONBLOCK: it is
 * refused afterwards as not a regular file); null when the file is a link.
 */
function openUnlessLink(file: string, flags: number): number | null {
  try {
    return openSync(file, constants.O_RDONLY | flags);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") return null;
    throw error;
  }
}

export function createRepoReader(rootDir: string, options: { ignore?: readonly string[] } = {}): RepoReader {
  const root = path.resolve(rootDir);
  // Resolved once each: every read compares a real path with the root's, and the files of a
  // directory share its real path.
  let realRoot: string | null = null;
  const realDirs = new Map<string, string>();
  const inRoot = (real: string) => {
    realRoot ??= realpathSync(root);
    return real === realRoot || real.startsWith(realRoot + path.sep);
  };

  /**
   * Synchronous on purpose: a check reads thousands of small files, and each async step is a
   * thread-pool round trip that costs more than the read itself (four times slower in
   * `npm run bench`). Nothing else waits on the event loop while discovery reads.
   */
  function readInside(file: string, maxBytes: number): { bytes: Buffer; size: number } | { error: string } {
    const absolute = path.join(root, file);
    const outside = { error: `${file} is a link to a file outside the repo root; it is not checked` };
    const dir = path.dirname(absolute);
    let realDir = realDirs.get(dir);
    if (realDir === undefined) realDirs.set(dir, (realDir = realpathSync(dir)));
    if (!inRoot(realDir)) return outside;
    let fd = NO_FOLLOW === undefined ? null : openUnlessLink(path.join(realDir, path.basename(absolute)), NO_FOLLOW);
    if (fd === null) {
      // A symlink (or a platform without O_NOFOLLOW): follow it, and read it only if it stays inside.
      const real = realpathSync(absolute);
      if (!inRoot(real)) return outside;
      if (!statSync(real).isFile()) return { error: `${file} is not a regular file` };
      fd = openSync(real, "r");
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) return { error: `${file} is not a regular file` };
      const length = Math.min(info.size, maxBytes);
      const bytes = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const got = readSync(fd, bytes, filled, length - filled, filled);
        if (got === 0) break;
        filled += got;
      }
      return { bytes: filled === length ? bytes : bytes.subarray(0, filled), size: info.size };
    } finally {
      closeSync(fd);
    }
  }

  return {
    root,
    async listPythonFiles() {
      const all = (await gitFiles(root)) ?? (await walkFiles(root));
      const venvDirs = all.filter((file) => file === "pyvenv.cfg" || file.endsWith("/pyvenv.cfg")).map((file) => path.posix.dirname(file).replace(/^\.$/, ""));
      let files = all.filter((file) => file.endsWith(".py") && !inSkippedDir(file, venvDirs));
      if (options.ignore && options.ignore.length > 0) {
        // Extglobs (`+(a|b)`) nest quantifiers; the config file's globs are matched literally there.
        const ignored = picomatch([...options.ignore], { dot: true, noextglob: true });
        files = files.filter((file) => !ignored(file));
      }
      return files.sort();
    },
    async read(file, maxBytes) {
      try {
        return readInside(file, maxBytes);
      } catch (error) {
        return { error: `${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
      }
    },
    async exists(file) {
      try {
        await stat(path.join(root, file));
        return true;
      } catch {
        return false;
      }
    },
  };
}
