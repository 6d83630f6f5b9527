import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_GENERATOR,
  GENERATOR_PROFILES,
  GENERATOR_VERSIONS,
  describeGenerator,
  detectRepoGenerator,
  identifyGenerator,
  type GeneratorFingerprint,
} from "../src/core/generators.js";

const expectedDir = new URL("./fixtures/corpus-definitions/expected/", import.meta.url);

/** The fingerprints extract.py read from what a real metaflow-dagster wrote (flows it refused have none). */
function recordedFingerprints(dir: string): Array<{ flow: string; fingerprint: GeneratorFingerprint }> {
  const folder = new URL(`${dir}/`, expectedDir);
  return readdirSync(folder)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => ({ flow: file, model: JSON.parse(readFileSync(new URL(file, folder), "utf8")) }))
    .filter(({ model }) => !("error" in model))
    .map(({ flow, model }) => ({
      flow,
      fingerprint: { templateSha: model.template_sha, constants: model.template_constants, helpers: model.template_helpers },
    }));
}

const rowOf = (version: string) => GENERATOR_VERSIONS.find((row) => row.version === version)!;
const fingerprintOf = (version: string): GeneratorFingerprint => {
  const row = rowOf(version);
  return { templateSha: row.templateSha, constants: row.constants, helpers: row.helpers };
};

describe("identifyGenerator on files the real compiler wrote", () => {
  const cases = [
    { dir: "0.3.7", version: "0.3.7", profile: "0.3.7" },
    { dir: "main-af05540", version: "main@af05540", profile: "main" },
    { dir: "0.3.6", version: "0.3.6", profile: null },
    { dir: "0.3.5", version: "0.3.5", profile: null },
  ] as const;
  for (const { dir, version, profile } of cases) {
    it(`names every recorded ${dir} file ${version} by its template`, () => {
      const recorded = recordedFingerprints(dir);
      expect(recorded.length).toBeGreaterThan(0);
      for (const { flow, fingerprint } of recorded) {
        expect(identifyGenerator(fingerprint), flow).toEqual({ version, profile, how: "template", alike: [] });
      }
    });

    it(`names a hand-edited ${dir} file ${version} by its constant and helper names`, () => {
      const { fingerprint } = recordedFingerprints(dir)[0]!;
      const edited = { ...fingerprint, templateSha: "0000000000000000" };
      expect(identifyGenerator(edited)).toEqual({ version, profile, how: "markers", alike: [] });
    });
  }

  it("compares names as sets: a writer that orders the preamble differently is still recognised", () => {
    const { fingerprint } = recordedFingerprints("0.3.7")[0]!;
    const reordered = { templateSha: null, constants: [...fingerprint.constants].reverse(), helpers: [...fingerprint.helpers].reverse() };
    expect(identifyGenerator(reordered)).toMatchObject({ version: "0.3.7", how: "markers" });
  });

  it("does not take a file with one constant more or one helper less for a known version", () => {
    const { fingerprint } = recordedFingerprints("0.3.7")[0]!;
    expect(identifyGenerator({ templateSha: null, constants: [...fingerprint.constants, "STEP_NEW_THING"], helpers: fingerprint.helpers }).how).toBe("unknown");
    expect(identifyGenerator({ templateSha: null, constants: fingerprint.constants, helpers: fingerprint.helpers.slice(1) }).how).toBe("unknown");
  });

  it("says unknown for an unknown template with unknown names", () => {
    expect(identifyGenerator({ templateSha: "ffffffffffffffff", constants: ["FLOW_FILE", "SOMETHING_ELSE"], helpers: ["_run_step"] })).toEqual({
      version: null,
      profile: null,
      how: "unknown",
      alike: [],
    });
    expect(identifyGenerator({ templateSha: null, constants: [], helpers: [] }).how).toBe("unknown");
  });
});

describe("the version table", () => {
  for (const row of GENERATOR_VERSIONS) {
    it(`identifies ${row.version} by its sha and by its names`, () => {
      const bySha = identifyGenerator({ templateSha: row.templateSha, constants: [], helpers: [] });
      expect(bySha.how).toBe("template");
      expect([bySha.version, ...bySha.alike]).toContain(row.version);
      const byMarkers = identifyGenerator({ templateSha: null, constants: row.constants, helpers: row.helpers });
      expect(byMarkers.how).toBe("markers");
      expect([byMarkers.version, ...byMarkers.alike]).toContain(row.version);
    });
  }

  it("names the newest of the versions a file cannot tell apart, and lists the others", () => {
    const order = GENERATOR_VERSIONS.map((row) => row.version);
    for (const row of GENERATOR_VERSIONS) {
      for (const found of [identifyGenerator(fingerprintOf(row.version)), identifyGenerator({ ...fingerprintOf(row.version), templateSha: null })]) {
        for (const other of found.alike) expect(order.indexOf(found.version!)).toBeLessThan(order.indexOf(other));
      }
    }
    // The measured ties: v0.2.0 writes v0.3.0's template; v0.3.1 to v0.3.3 share their names.
    expect(identifyGenerator(fingerprintOf("0.2.0"))).toEqual({ version: "0.3.0", profile: null, how: "template", alike: ["0.2.0"] });
    expect(identifyGenerator({ ...fingerprintOf("0.3.1"), templateSha: null })).toEqual({
      version: "0.3.3",
      profile: null,
      how: "markers",
      alike: ["0.3.2", "0.3.1"],
    });
    expect(identifyGenerator(fingerprintOf("0.3.1"))).toMatchObject({ version: "0.3.1", how: "template", alike: [] });
  });

  it("has one unambiguous row per profile, and the default is a profile", () => {
    expect(GENERATOR_PROFILES).toContain(DEFAULT_GENERATOR);
    for (const profile of GENERATOR_PROFILES) {
      const rows = GENERATOR_VERSIONS.filter((row) => row.profile === profile);
      expect(rows).toHaveLength(1);
      expect(identifyGenerator(fingerprintOf(rows[0]!.version)).alike).toEqual([]);
      expect(identifyGenerator({ ...fingerprintOf(rows[0]!.version), templateSha: null }).alike).toEqual([]);
    }
  });

  it("records each sha as extract.py writes it (16 lower-case hex digits)", () => {
    for (const row of GENERATOR_VERSIONS) expect(row.templateSha, row.version).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("detectRepoGenerator", () => {
  const main = recordedFingerprints("main-af05540").map(({ fingerprint }) => fingerprint);
  const released = recordedFingerprints("0.3.7").map(({ fingerprint }) => fingerprint);
  const older = recordedFingerprints("0.3.5").map(({ fingerprint }) => fingerprint);

  it("uses the profile every committed file agrees on", () => {
    expect(detectRepoGenerator(main)).toBe("main");
    expect(detectRepoGenerator(released)).toBe("0.3.7");
  });

  it("falls back to the default for a mixed repo, a version it does not predict, an unknown file or no files", () => {
    expect(detectRepoGenerator([...main, released[0]!])).toBe(DEFAULT_GENERATOR);
    expect(detectRepoGenerator([...main, older[0]!])).toBe(DEFAULT_GENERATOR);
    expect(detectRepoGenerator([...main, { templateSha: null, constants: [], helpers: [] }])).toBe(DEFAULT_GENERATOR);
    expect(detectRepoGenerator([])).toBe(DEFAULT_GENERATOR);
  });
});

describe("describeGenerator", () => {
  it("names the file's version and the repo's", () => {
    const found = identifyGenerator(recordedFingerprints("0.3.5")[0]!.fingerprint);
    expect(describeGenerator(found)).toBe("made by metaflow-dagster 0.3.5; this repo uses 0.3.7");
    expect(describeGenerator("0.3.7", "main")).toBe("made by metaflow-dagster 0.3.7; this repo uses main@af05540");
  });

  it("says so when the file cannot tell versions apart, or matches none", () => {
    expect(describeGenerator(identifyGenerator(fingerprintOf("0.2.0")))).toBe(
      "made by metaflow-dagster 0.3.0 (or 0.2.0: the file does not tell them apart); this repo uses 0.3.7",
    );
    expect(describeGenerator(null)).toBe("made by an unknown metaflow-dagster version; this repo uses 0.3.7");
  });
});
