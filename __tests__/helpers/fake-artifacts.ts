/**
 * The Actions artifact service on 127.0.0.1, as far as @actions/artifact uses it to upload: the
 * results service's Twirp calls (CreateArtifact, FinalizeArtifact) and the blob store behind the
 * signed upload URL (Put Block, Put Block List). Artifacts are kept whole for the test to read.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface UploadedArtifact {
  name: string;
  /** The run and job the token named (from its `Actions.Results:run:job` scope). */
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
  expiresAt: string | null;
  /** The committed blob: the zip @actions/artifact made. */
  content: Buffer;
  finalized: { size: string; hash: string | null } | null;
}

export interface FakeArtifacts {
  url: string;
  artifacts: UploadedArtifact[];
  /** Answer every Twirp call with this status instead (e.g. 401, which the client does not retry). */
  failWith: number | null;
  close(): Promise<void>;
}

const TWIRP = "/twirp/github.actions.results.api.v1.ArtifactService/";

/** An ACTIONS_RUNTIME_TOKEN as the runner gives it: a JWT whose `scp` names the run and job. */
export function runtimeToken(run = "run-backend-1", job = "job-backend-1"): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part({ scp: `Actions.GenericRead:x Actions.Results:${run}:${job}` })}.unsigned`;
}

async function body(request: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startArtifactService(): Promise<FakeArtifacts> {
  const blocks = new Map<string, Map<string, Buffer>>(); // blob path -> block id -> bytes
  const pending = new Map<string, UploadedArtifact>(); // name -> created, not finalized
  const state: FakeArtifacts = { url: "", artifacts: [], failWith: null, close: async () => {} };

  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const data = await body(request);
    const json = (status: number, value: object) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(value));
    };
    if (request.method === "POST" && url.pathname.startsWith(TWIRP)) {
      if (state.failWith) return json(state.failWith, { code: "unauthenticated", msg: "token expired" });
      const call = JSON.parse(data.toString("utf8")) as Record<string, unknown>;
      const method = url.pathname.slice(TWIRP.length);
      if (method === "CreateArtifact") {
        const name = String(call.name);
        pending.set(name, {
          name,
          workflowRunBackendId: String(call.workflowRunBackendId ?? call.workflow_run_backend_id),
          workflowJobRunBackendId: String(call.workflowJobRunBackendId ?? call.workflow_job_run_backend_id),
          expiresAt: (call.expiresAt ?? call.expires_at ?? null) as string | null,
          content: Buffer.alloc(0),
          finalized: null,
        });
        return json(200, { ok: true, signedUploadUrl: `${state.url}/blobs/${encodeURIComponent(name)}.zip?sig=fake-signature` });
      }
      if (method === "FinalizeArtifact") {
        const artifact = pending.get(String(call.name));
        if (!artifact) return json(404, { code: "not_found", msg: "no such artifact" });
        pending.delete(artifact.name);
        const hash = call.hash as { value?: string } | string | undefined;
        artifact.finalized = { size: String(call.size), hash: typeof hash === "string" ? hash : (hash?.value ?? null) };
        artifact.content = assemble(blocks.get(`/blobs/${encodeURIComponent(artifact.name)}.zip`), artifact.content);
        state.artifacts.push(artifact);
        return json(200, { ok: true, artifactId: String(state.artifacts.length) });
      }
      return json(404, { code: "bad_route", msg: `no method ${method}` });
    }
    if (request.method === "PUT" && url.pathname.startsWith("/blobs/")) {
      const blob = blocks.get(url.pathname) ?? new Map<string, Buffer>();
      blocks.set(url.pathname, blob);
      if (url.searchParams.get("comp") === "block") {
        blob.set(url.searchParams.get("blockid") ?? "", data);
      } else if (url.searchParams.get("comp") === "blocklist") {
        // The committed order: <Latest>id</Latest> entries of the block list.
        const order = [...data.toString("utf8").matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map((m) => m[1]!);
        blob.set("\0committed", Buffer.concat(order.map((id) => blob.get(id) ?? Buffer.alloc(0))));
      } else {
        blob.set("\0committed", data); // a single Put Blob
      }
      response.writeHead(201, { etag: '"0x1"', "last-modified": new Date().toUTCString() });
      return response.end();
    }
    response.writeHead(404);
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

function assemble(blob: Map<string, Buffer> | undefined, fallback: Buffer): Buffer {
  return blob?.get("\0committed") ?? fallback;
}
