/** Reads the repo's project files for the default import roots (core/import-roots.ts has the rules). */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from "node:fs";
import path from "node:path";
import { defaultImportRoots, MAX_PROJECT_FILE_BYTES, type ImportRootsFound, type ProjectFile } from "../core/import-roots.js";

const PROJECT_FILES = ["pyproject.toml", "setup.cfg"] as const;

/**
 * One project file in the root, or `null` when there is none. Never throws: it is a pull
 * request's file, read only from inside the repo (not through a symlink that leaves it), never
 * waited on (a FIFO), and only when it is at most MAX_PROJECT_FILE_BYTES.
 */
function readProjectFile(root: string, name: (typeof PROJECT_FILES)[number]): ProjectFile | null {
  const file = path.join(root, name);
  let real: string;
  try {
    real = realpathSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? null : { name, error: code ?? String(error) };
  }
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    realRoot = root;
  }
  const relative = path.relative(realRoot, real);
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return { name, error: "a symbolic link to a file outside the repo" };
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return { name, error: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { name, error: "not a regular file" };
    if (stat.size > MAX_PROJECT_FILE_BYTES) return { name, error: `${stat.size} bytes, more than the ${MAX_PROJECT_FILE_BYTES} mfdag reads` };
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return { name, text: buffer.subarray(0, read).toString("utf8") };
  } catch (error) {
    return { name, error: (error as NodeJS.ErrnoException).code ?? String(error) };
  } finally {
    closeSync(fd);
  }
}

/** The root plus the package directories the root's pyproject.toml and setup.cfg declare. */
export function readProjectImportRoots(root: string): ImportRootsFound {
  return defaultImportRoots(PROJECT_FILES.flatMap((name) => readProjectFile(root, name) ?? []));
}
