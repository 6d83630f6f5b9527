/**
 * The JSON Schema of the repo config file, generated from its zod schema (config-file.ts) so that
 * editors complete and check `.mfdag.yml` with the rules mfdag itself applies. scripts/build.mjs
 * writes it to schema/mfdag.schema.json; __tests__/config-json-schema.test.ts keeps that file current.
 */
import { z } from "zod";
import { repoConfigSchema } from "./config-file.js";

/** Where the schema of a release is published: the file in the action repository at the major tag. */
export const CONFIG_SCHEMA_URL = "https://raw.githubusercontent.com/mfdag-dev/mfdag-action/v1/schema/mfdag.schema.json";

/**
 * The schema of what people write (`io: "input"`: keys with defaults are optional). Checks zod runs
 * in code (globs' wildcard limits, paths staying inside the repo) have no JSON Schema form and are
 * left to mfdag's own error messages.
 */
export function repoConfigJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(repoConfigSchema, { io: "input", unrepresentable: "throw" });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: CONFIG_SCHEMA_URL,
    title: "mfdag config file (.mfdag.yml, .mfdag.yaml, mfdag.config.json)",
    description: "Explicit flow-to-definitions pairs, per-flow `dagster create` arguments and check settings for mfdag. See https://github.com/mfdag-dev/mfdag-action#config-file",
    ...rest,
  };
}
