/**
 * Reads a small file that may be a pull request's (the config file, pyproject.toml, setup.cfg):
 * a file in the repo never through a symlink that leaves it (the link could point at a runner file
 * and echo it in a parse error), never waited on (a FIFO opens non-blocking and is refused as not a
 * regular file), and never more than `maxBytes`.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from "node:fs";
import path from "node:path";

type BoundedRead =
  | { text: string }
  | { error: "open"; code: string }
  | { error: "not-a-file" }
  | { error: "too-large"; size: number }
  | { error: "read"; code: string };

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);

/** Whether `inner` is `outer` or below it (both absolute). */
function isWithin(outer: string, inner: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

type RepoFileRead = BoundedRead | { error: "missing" } | { error: "resolve"; code: string } | { error: "outside" };

/**
 * `file` (absolute) read as `readBoundedFile` reads it, after its symlinks are resolved: `missing`
 * when there is no such file, `outside` when it lies in `root` but resolves to a file outside it.
 * A file outside `root` to begin with (a config file the workflow names) is read where it is.
 */
export function readFileInRepo(file: string, root: string, maxBytes: number): RepoFileRead {
  let real: string;
  try {
    real = realpathSync(file);
  } catch (error) {
    const code = codeOf(error);
    return code === "ENOENT" || code === "ENOTDIR" ? { error: "missing" } : { error: "resolve", code };
  }
  if (isWithin(root, file)) {
    let realRoot = root;
    try {
      realRoot = realpathSync(root);
    } catch {
      // The root itself could not be resolved: compare with it as given.
    }
    if (!isWithin(realRoot, real)) return { error: "outside" };
  }
  return readBoundedFile(real, maxBytes);
}

function readBoundedFile(realPath: string, maxBytes: number): BoundedRead {
  let fd: number;
  try {
    fd = openSync(realPath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return { error: "open", code: codeOf(error) };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { error: "not-a-file" };
    if (stat.size > maxBytes) return { error: "too-large", size: stat.size };
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return { text: buffer.subarray(0, read).toString("utf8") };
  } catch (error) {
    return { error: "read", code: codeOf(error) };
  } finally {
    closeSync(fd);
  }
}
