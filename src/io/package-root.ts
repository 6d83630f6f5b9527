/**
 * The directory holding `python/` and `templates/`. The same code runs from `src/` (tests), from
 * `dist/` (the action and the CLI), and from an npm install, so it is found by walking up.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | null = null;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, "python", "mfdag_static.py")) && existsSync(path.join(dir, "templates"))) return (cached = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`mfdag is installed incompletely: no python/ and templates/ above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
