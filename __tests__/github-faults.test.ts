import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../src/core/ports.js";
import { createOctokit } from "../src/github/octokit.js";
import { upsertStickyComment } from "../src/github/sticky-comment.js";

let server: Server | null = null;
afterEach(async () => {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server!.close(resolve));
  server = null;
});

/** A server on 127.0.0.1 that accepts every request and never answers it. */
async function hangingServer(): Promise<{ url: string; requests: () => number }> {
  let count = 0;
  server = createServer(() => {
    count++;
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, requests: () => count };
}

describe("GitHub API that never answers", () => {
  it("gives up after bounded retries instead of hanging", async () => {
    const api = await hangingServer();
    const octokit = createOctokit({ token: "t", baseUrl: api.url, logger: silentLogger, retryBaseMs: 1, paceWrites: false, requestTimeoutMs: 200 });
    const started = Date.now();
    await expect(upsertStickyComment(octokit, { owner: "o", repo: "r", issueNumber: 1, commentId: "x", body: "b", mode: "always", hasChanges: true })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(api.requests()).toBeGreaterThanOrEqual(1);
    expect(api.requests()).toBeLessThanOrEqual(8);
  });
});

describe("GitHub API failing request after request", () => {
  it("gives every request its own retries and backoff", async () => {
    const { start, fault } = await import("./helpers/fake-github.js");
    const github = await start();
    try {
      const octokit = createOctokit({ token: "t", baseUrl: github.url, logger: silentLogger, retryBaseMs: 50, paceWrites: false });
      const route = "GET /repos/{owner}/{repo}/issues/{number}/comments";
      github.script(route, ...Array.from({ length: 8 }, () => fault.status(500)));
      const took: number[] = [];
      for (const issue of [1, 2]) {
        const started = Date.now();
        await expect(octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner: "o", repo: "r", issue_number: issue })).rejects.toThrow();
        took.push(Date.now() - started);
      }
      // Backoff (1 + 4 + 9) × 50 ms for each request; a counter leaked from the first request makes
      // the second start at 16 × 50 ms, (16 + 4 + 9) × 50 ms in all.
      expect(took[1]).toBeLessThan(took[0]! + 400);
      const attempts = (issue: number) => github.requestsTo(route).filter((r) => r.path.endsWith(`/issues/${issue}/comments`)).length;
      // One try and the retry plugin's 3 retries, for the second request as for the first.
      expect([attempts(1), attempts(2)]).toEqual([4, 4]);
    } finally {
      await github.close();
    }
  });
});
