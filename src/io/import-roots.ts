/** Reads the repo's project files for the default import roots (core/import-roots.ts has the rules). */
import { realpathSync } from "node:fs";
import path from "node:path";
import { readBoundedFile } from "./bounded-read.js";
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
  const read = readBoundedFile(real, MAX_PROJECT_FILE_BYTES);
  if ("text" in read) return { name, text: read.text };
  if (read.error === "not-a-file") return { name, error: "not a regular file" };
  if (read.error === "too-large") return { name, error: `${read.size} bytes, more than the ${MAX_PROJECT_FILE_BYTES} mfdag reads` };
  return { name, error: read.code };
}

/** The root plus the package directories the root's pyproject.toml and setup.cfg declare. */
export function readProjectImportRoots(root: string): ImportRootsFound {
  return defaultImportRoots(PROJECT_FILES.flatMap((name) => readProjectFile(root, name) ?? []));
}
