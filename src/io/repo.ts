/** The checked repo on disk: which Python files count, and reading them with a size bound. */
import { open, readdir, realpath, stat } from "node:fs/promises";
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

async function gitFiles(root: string): Promise<string[] | null> {
  const inside = await execa("git", ["-C", root, "rev-parse", "--is-inside-work-tree"], { reject: false });
  if (inside.exitCode !== 0 || inside.stdout.trim() !== "true") return null;
  // Tracked files plus untracked ones git would track: .gitignore is respected.
  const listed = await execa("git", ["-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "."], { reject: false, stripFinalNewline: false });
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

export function createRepoReader(rootDir: string, options: { ignore?: readonly string[] } = {}): RepoReader {
  const root = path.resolve(rootDir);
  // Resolved once: every read compares a file's real path with it.
  let realRoot: Promise<string> | null = null;
  return {
    root,
    async listPythonFiles() {
      const all = (await gitFiles(root)) ?? (await walkFiles(root));
      const venvDirs = all.filter((file) => file === "pyvenv.cfg" || file.endsWith("/pyvenv.cfg")).map((file) => path.posix.dirname(file).replace(/^\.$/, ""));
      let files = all.filter((file) => file.endsWith(".py") && !inSkippedDir(file, venvDirs));
      if (options.ignore && options.ignore.length > 0) {
        const ignored = picomatch([...options.ignore], { dot: true });
        files = files.filter((file) => !ignored(file));
      }
      return files.sort();
    },
    async read(file, maxBytes) {
      const absolute = path.join(root, file);
      try {
        // A symlink that leads out of the repo is not the repo's file.
        const real = await realpath(absolute);
        const resolvedRoot = await (realRoot ??= realpath(root));
        if (real !== resolvedRoot && !real.startsWith(resolvedRoot + path.sep)) return { error: `${file} is a link to a file outside the repo root; it is not checked` };
        const info = await stat(real);
        if (!info.isFile()) return { error: `${file} is not a regular file` };
        const handle = await open(real, "r");
        try {
          const length = Math.min(info.size, maxBytes);
          const bytes = Buffer.alloc(length);
          await handle.read(bytes, 0, length, 0);
          return { bytes, size: info.size };
        } finally {
          await handle.close();
        }
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
