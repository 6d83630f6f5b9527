/** The audit's tracking issue: its title and the comments that close and reopen it, from templates. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT } from "./helpers/repo.js";
import { trackingIssueTexts } from "../src/action/audit.js";
import { createRenderer } from "../src/render/index.js";
import { VERSION } from "../src/version.js";

const renderer = createRenderer();

describe("the tracking issue's texts", () => {
  it("title the default audit's issue without a tracking id, and link nothing without a run URL", () => {
    expect(trackingIssueTexts(renderer, "default", null)).toEqual({
      title: "mfdag: Dagster definitions are out of date",
      closeComment: "All Dagster definitions are up to date again. Closing.",
      reopenComment: "The drift is back: see the updated description.",
    });
  });

  it("name a tracking id in the title as written (every character comment-id allows), and link the audit run", () => {
    const id = "_ml.www.team-2__";
    expect(trackingIssueTexts(renderer, id, "https://github.com/acme/shop/actions/runs/4242")).toEqual({
      title: `mfdag: Dagster definitions are out of date (${id})`,
      closeComment: "All Dagster definitions are up to date again ([audit run](https://github.com/acme/shop/actions/runs/4242)). Closing.",
      reopenComment: "The drift is back ([audit run](https://github.com/acme/shop/actions/runs/4242)): see the updated description.",
    });
  });

  it("keep a run URL that could end the link inside it", () => {
    const { closeComment } = trackingIssueTexts(renderer, "default", "https://e.example/run) ![x](y");
    expect(closeComment).toBe("All Dagster definitions are up to date again ([audit run](https://e.example/run%29%20![x]%28y)). Closing.");
  });
});

describe("the version", () => {
  it("is package.json's, defined for the tests as for the build", () => {
    expect(VERSION).toBe((JSON.parse(readFileSync(path.join(PROJECT, "package.json"), "utf8")) as { version: string }).version);
  });
});
