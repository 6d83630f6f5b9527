/**
 * Reads a small file that may be a pull request's (the config file, pyproject.toml, setup.cfg):
 * never waited on (a FIFO opens non-blocking and is refused as not a regular file) and never more
 * than `maxBytes`. The callers check first that the path does not leave the repo.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

export type BoundedRead =
  | { text: string }
  | { error: "open"; code: string }
  | { error: "not-a-file" }
  | { error: "too-large"; size: number }
  | { error: "read"; code: string };

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);

export function readBoundedFile(realPath: string, maxBytes: number): BoundedRead {
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
