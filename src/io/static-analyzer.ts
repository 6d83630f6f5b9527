/** Runs python/mfdag_static.py: one Python process per call, for any number of files. */
import path from "node:path";
import { execa } from "execa";
import { ConfigurationError } from "../core/errors.js";
import type { CompileRequest, StaticAnalyzer } from "../core/ports.js";
import { staticResponseSchema } from "../core/static-protocol.js";
import { packageRoot } from "./package-root.js";

export interface StaticAnalyzerOptions {
  root: string;
  python: string;
  maxFileBytes: number;
  timeoutMs: number;
}

export function staticScriptPath(): string {
  return path.join(packageRoot(), "python", "mfdag_static.py");
}

export function createStaticAnalyzer(options: StaticAnalyzerOptions): StaticAnalyzer {
  return {
    async analyze(scan: string[], compile: CompileRequest[]) {
      const request = {
        root: options.root,
        scan,
        compile: compile.map((c) => ({ flowFile: c.flowFile, flowClass: c.flowClass, jobName: c.jobName })),
        maxFileBytes: options.maxFileBytes,
      };
      const child = await execa(options.python, ["-B", staticScriptPath()], {
        input: JSON.stringify(request),
        reject: false,
        timeout: options.timeoutMs,
        maxBuffer: 512 * 1024 * 1024,
        // -B and PYTHONDONTWRITEBYTECODE: nothing (no __pycache__) is written into the checked repo.
        env: { PYTHONDONTWRITEBYTECODE: "1", PYTHONHASHSEED: "0" },
        cwd: options.root,
      });
      if (child.failed && (child as { code?: string }).code === "ENOENT") {
        throw new ConfigurationError(`Python interpreter '${options.python}' was not found. Install Python 3, or pass --python with the path of one (action input: python).`);
      }
      if (child.timedOut) throw new Error(`the static compiler did not finish within ${Math.round(options.timeoutMs / 1000)} s`);
      if (child.exitCode !== 0) {
        throw new Error(`the static compiler (${options.python} ${staticScriptPath()}) exited with ${child.exitCode ?? child.signal}: ${child.stderr.trim().split("\n").slice(-5).join("\n")}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(child.stdout);
      } catch {
        throw new Error(`the static compiler wrote something that is not JSON: ${child.stdout.slice(0, 200)}`);
      }
      const parsed = staticResponseSchema.safeParse(json);
      if (!parsed.success) throw new Error(`the static compiler's answer has an unexpected shape: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
      return {
        files: parsed.data.files,
        results: parsed.data.results.map((r) => ({ ...r, compiler: "static" as const })),
      };
    },
  };
}
