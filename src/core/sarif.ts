/** The report as SARIF 2.1.0, so results can be uploaded to code scanning. */
import path from "node:path";
import { ANNOTATION_RULES, type Annotation } from "./annotations.js";
import { PROJECT_URL } from "./project.js";

/**
 * `rootPrefix` is the checked root's path from the repository's top (`services/ml` for `root:
 * services/ml`): code scanning resolves a result's path from the top of the checkout
 * (%SRCROOT%), while annotations name files from the checked root.
 */
export function toSarif(annotations: readonly Annotation[], toolVersion: string, rootPrefix = ""): object {
  const ruleIds = [...new Set(annotations.map((a) => a.rule))].sort();
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "mfdag",
            version: toolVersion,
            informationUri: PROJECT_URL,
            rules: ruleIds.map((id) => ({ id, shortDescription: { text: ANNOTATION_RULES.get(id) ?? id } })),
          },
        },
        results: annotations.map((a) => ({
          ruleId: a.rule,
          level: a.level === "notice" ? "note" : a.level,
          message: { text: a.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: rootPrefix && !path.posix.isAbsolute(a.file) ? path.posix.join(rootPrefix, a.file) : a.file, uriBaseId: "%SRCROOT%" },
                ...(a.line ? { region: { startLine: a.line } } : {}),
              },
            },
          ],
        })),
      },
    ],
  };
}
