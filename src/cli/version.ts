/**
 * `mfdag --version`: mfdag's version on the first line alone (scripts read it), then which
 * metaflow-dagster output the static compiler predicts, from the one table of generator facts
 * (src/core/generators.ts), so that a team knows which version to pin in `pip install`.
 */
import { DEFAULT_GENERATOR, GENERATOR_PROFILES, GENERATOR_VERSIONS, profileVersion } from "../core/generators.js";
import { VERSION } from "../version.js";

export function versionText(): string {
  const modelled = GENERATOR_PROFILES.map((profile) => `${profileVersion(profile)}${profile === DEFAULT_GENERATOR ? " (default)" : ""}`);
  const recognised = GENERATOR_VERSIONS.filter((row) => row.profile === null).map((row) => row.version);
  return [
    VERSION,
    `metaflow-dagster modelled by the static compiler: ${modelled.join(", ")}`,
    `metaflow-dagster recognised in committed files, not modelled: ${recognised.join(", ")}`,
    "",
  ].join("\n");
}
