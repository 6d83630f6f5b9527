/** The report as SARIF 2.1.0, so results can be uploaded to code scanning. */
import type { Annotation } from "./annotations.js";

const RULE_HELP: Record<string, string> = {
  "mfdag/type-changed": "A Parameter's type changed but the committed Dagster definitions were not regenerated.",
  "mfdag/added": "A Parameter is missing from the committed Dagster Config class.",
  "mfdag/removed": "The committed Dagster Config class offers a Parameter the flow no longer has.",
  "mfdag/job-renamed": "dagster create now names the job differently.",
  "mfdag/compile-error": "The flow could not be compiled, so its definitions cannot be checked.",
  "mfdag/dropped-parameter": "metaflow-dagster silently leaves this Parameter out of the Config class.",
  "mfdag/declared-type-mismatch": "The declared type= differs from the type Dagster shows.",
  "mfdag/invalid-python": "The generated definitions file would not be valid Python.",
};

export function toSarif(annotations: readonly Annotation[], toolVersion: string): object {
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
            informationUri: "https://github.com/org/mfdag-action",
            rules: ruleIds.map((id) => ({ id, shortDescription: { text: RULE_HELP[id] ?? id } })),
          },
        },
        results: annotations.map((a) => ({
          ruleId: a.rule,
          level: a.level === "notice" ? "note" : a.level,
          message: { text: a.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: a.file, uriBaseId: "%SRCROOT%" },
                ...(a.line ? { region: { startLine: a.line } } : {}),
              },
            },
          ],
        })),
      },
    ],
  };
}
