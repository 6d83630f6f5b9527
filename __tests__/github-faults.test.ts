import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../src/core/ports.js";
import { createOctokit } from "../src/github/octokit.js";
import { upsertStickyComment } from "../src/github/sticky-comment.js";

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
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
