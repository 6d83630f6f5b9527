// `node fork-direct.mjs BUNDLE JOBS.json`: compiles every flow of a synthetic repo through the fork
// server compiler (src/io/fork-server.ts, bundled by bench.mjs) and compares each Config class
// with the committed one. Prints {"drift": [...], "errors": [...]} as JSON. Used by the benchmark
// until the CLI's --compiler metaflow runs on the fork server.
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [bundle, jobsFile] = process.argv.slice(2);
const { createForkServerCompiler, parseDefinitionsFile, permitMetaflow } = await import(pathToFileURL(path.resolve(bundle)).href);
const jobs = JSON.parse(readFileSync(jobsFile, "utf8"));
const compiler = createForkServerCompiler({ root: jobs.root, python: jobs.python, timeoutMs: jobs.timeoutMs, concurrency: jobs.concurrency, permit: permitMetaflow({ metaflowForbidden: null }, "The benchmark") });
await compiler.ensureAvailable();
const drift = [];
const errors = [];
let next = 0;
async function worker() {
  while (next < jobs.flows.length) {
    const flow = jobs.flows[next++];
    const result = await compiler.compile({ flowFile: flow.flowFile, flowClass: flow.flowClass, jobName: flow.jobName ?? null, args: flow.args ?? [], cwd: path.posix.dirname(flow.flowFile) });
    if (result.error) {
      errors.push({ flowFile: flow.flowFile, error: result.error });
      continue;
    }
    const committed = parseDefinitionsFile(flow.definitionsFile, readFileSync(path.join(jobs.root, flow.definitionsFile), "utf8"));
    if (JSON.stringify(committed?.configClass?.lines ?? null) !== JSON.stringify(result.configClass)) drift.push(flow.flowFile);
  }
}
// Twice as many compiles in flight as the server runs children: the server starts the next child
// while this side is still reading the previous one's output.
await Promise.all(Array.from({ length: jobs.concurrency * 2 }, worker));
await compiler.close();
process.stdout.write(JSON.stringify({ drift: drift.sort(), errors }) + "\n");
