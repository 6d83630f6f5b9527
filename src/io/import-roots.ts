/** Reads the repo's project files for the default import roots (core/import-roots.ts has the rules). */
import path from "node:path";
import { readFileInRepo } from "./bounded-read.js";
import { defaultImportRoots, MAX_PROJECT_FILE_BYTES, type ImportRootsFound, type ProjectFile } from "../core/import-roots.js";

const PROJECT_FILES = ["pyproject.toml", "setup.cfg"] as const;

/**
 * One project file in the root, or `null` when there is none. Never throws: it is a pull
 * request's file, read only from inside the repo (not through a symlink that leaves it), never
 * waited on (a FIFO), and only when it is at most MAX_PROJECT_FILE_BYTES.
 */
function readProjectFile(root: string, name: (typeof PROJECT_FILES)[number]): ProjectFile | null {
  const read = readFileInRepo(path.join(root, name), root, MAX_PROJECT_FILE_BYTES);
  if ("text" in read) return { name, text: read.text };
  switch (read.error) {
    case "missing":
      return null;
    case "outside":
      return { name, error: "a symbolic link to a file outside the repo" };
    case "not-a-file":
      return { name, error: "not a regular file" };
    case "too-large":
      return { name, error: `${read.size} bytes, more than the ${MAX_PROJECT_FILE_BYTES} mfdag reads` };
    default:
      return { name, error: read.code };
  }
}

/** The root plus the package directories the root's pyproject.toml and setup.cfg declare. */
export function readProjectImportRoots(root: string): ImportRootsFound {
  return defaultImportRoots(PROJECT_FILES.flatMap((name) => readProjectFile(root, name) ?? []));
}
