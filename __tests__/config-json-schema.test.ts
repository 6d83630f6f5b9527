/**
 * The config file's JSON Schema (schema/mfdag.schema.json, for editor completion): the committed
 * file is what the build generates from the zod schema, the README's example passes it, and it
 * refuses what mfdag refuses where JSON Schema can say so.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { parseRepoConfig } from "../src/core/config-file.js";
import { CONFIG_SCHEMA_URL, repoConfigJsonSchema } from "../src/core/config-json-schema.js";
import { PROJECT } from "./helpers/repo.js";

const SCHEMA_FILE = path.join(PROJECT, "schema/mfdag.schema.json");
const committedText = readFileSync(SCHEMA_FILE, "utf8");
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(JSON.parse(committedText) as object);

/** The first ```yaml block of the README's "Config file" section. */
function readmeConfigExample(): string {
  const readme = readFileSync(path.join(PROJECT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### Config file"));
  const match = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error("README.md: no ```yaml block in the Config file section");
  return match[1]!;
}

describe("schema/mfdag.schema.json", () => {
  it("is what the build generates from the config file's zod schema (run npm run build after changing it)", () => {
    expect(committedText).toBe(`${JSON.stringify(repoConfigJsonSchema(), null, 2)}\n`);
    expect(JSON.parse(committedText)).toMatchObject({ $id: CONFIG_SCHEMA_URL, type: "object", additionalProperties: false });
  });

  it("accepts the README's config example, which names the schema for editors on its first line", () => {
    const example = readmeConfigExample();
    expect(example.split("\n")[0]).toBe(`# yaml-language-server: $schema=${CONFIG_SCHEMA_URL}`);
    expect(() => parseRepoConfig(".mfdag.yml", example)).not.toThrow();
    expect(validate(parseYaml(example)), JSON.stringify(validate.errors)).toBe(true);
    // The example shows every top-level key, so completion is documented by example too.
    expect(Object.keys(parseYaml(example) as object).sort()).toEqual(Object.keys((JSON.parse(committedText) as { properties: object }).properties).sort());
  });

  it.each([
    ["an unknown key", { compilr: "static" }],
    ["a value outside an enum", { failOn: "sometimes" }],
    ["a flow entry without its flow", { flows: [{ definitions: "dagster/x.py" }] }],
    ["an unknown key in a flow entry", { flows: [{ flow: "flows/x.py", argz: [] }] }],
    ["a concurrency that is not a whole number", { concurrency: 2.5 }],
    ["an empty importRoots", { importRoots: [] }],
  ])("refuses %s, as mfdag does", (_name, config) => {
    expect(() => parseRepoConfig("mfdag.config.json", JSON.stringify(config))).toThrow();
    expect(validate(config)).toBe(false);
  });
});
