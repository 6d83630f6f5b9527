/**
 * Machine-specific parts of generated Config lines. A definitions file regenerated on another
 * machine differs in these even when nothing changed, so they are replaced by placeholders on both
 * sides before comparing.
 */

export const SYSROOT = "<SYSROOT>";
export const ROOT = "<ROOT>";

// IncludeFile values embed `local://<datastore sysroot>/data/<Flow>/<sha1>`. The sysroot is
// whatever METAFLOW_DATASTORE_SYSROOT_LOCAL (or `<cwd>/.metaflow`) was when the file was generated.
// The greedy prefix backtracks to the last `/data/<Flow>/<sha1>`, so a sysroot that itself
// contains `/data/` is still cut in the right place.
const INCLUDE_URL = /local:\/\/[^"'\s]*\/data\/([^/"'\s]+)\/([0-9a-f]{40})/g;

export interface NormalizeContext {
  /** Absolute repo root on the machine that produced the lines, when known. */
  root: string | null;
}

/** Replaces datastore roots and the producing machine's repo root with placeholders. */
export function normalizeLine(line: string, context: NormalizeContext): string {
  let out = line.replace(INCLUDE_URL, (_m, flow: string, sha: string) => `local://${SYSROOT}/data/${flow}/${sha}`);
  const root = context.root?.replace(/\/+$/, "");
  if (root && root.length > 1) out = out.split(root + "/").join(ROOT + "/");
  return out;
}

/**
 * The generating machine's repo root, derived from the header's `Source` and the flow's
 * repo-relative path: `/home/alice/repo/flows/a.py` + `flows/a.py` → `/home/alice/repo`.
 */
export function machineRoot(source: string | null, flowFile: string): string | null {
  if (!source) return null;
  const normalized = source.replace(/\\/g, "/");
  const suffix = "/" + flowFile;
  return normalized.endsWith(suffix) ? normalized.slice(0, -suffix.length) || "/" : null;
}
