/**
 * Attacks on the metaflow compiler's containment: a flow (it is imported and run) that starts
 * processes meant to outlive its compile (double fork + setsid, SIGTERM ignored, many forks, a
 * hang, killing its own keeper) and write into the repo once the check has returned. The flows are
 * plain-Python stand-ins (metaflow cannot be installed here): containment does not depend on what
 * the flow imports. Each daemon carries a marker in its argv so that /proc shows whether any is left.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { CompileRequest } from "../src/core/ports.js";
import { createForkServerCompiler, type ForkServerCompiler } from "../src/io/fork-server.js";
import { permitMetaflow } from "../src/core/settings.js";
import { compileTimeoutMessage } from "../src/io/metaflow-compiler.js";
import { PER_PROCESS_COMPILER, runCli, shopRepo, standInCompiler, tempDir, writeFiles } from "./helpers/repo.js";

const LINUX = process.platform === "linux";
/** How long after it is ready a daemon writes into the repo: well after its compile has returned. */
const DELAY_S = 1.5;

interface Attack {
  /** In every daemon's argv, to find the survivors in /proc. */
  marker: string;
  /** The file in the repo the daemons write to. */
  target: string;
  /** Daemons touch `${ready}N` once running, so the flow returns only after they exist. */
  ready: string;
  /** Seconds from ready to the write: after the compile (and its timeout), or the write is fair play. */
  delayS: number;
}

function newAttack(root: string, delayS = DELAY_S): Attack {
  return { marker: `mfdag-contain-attack-${randomBytes(6).toString("hex")}`, target: path.join(root, "pwned.txt"), ready: path.join(tempDir(), "ready-"), delayS };
}

/**
 * Python that starts `daemons` daemons the classic way (fork, setsid, fork again, the middle
 * process exits), each after `chain` more forks whose parents exit, exec'd with the marker in
 * argv; waits until all run; then `after` (the rest of the flow).
 */
function attackCode(attack: Attack, options: { daemons?: number; chain?: number; ignoreTerm?: boolean; after?: string } = {}): string {
  const daemon = `
import signal, sys, time
marker, target, ready, delay, ignore = sys.argv[1:6]
if ignore == "1":
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, signal.SIG_IGN)
open(ready, "a").close()
time.sleep(float(delay))
with open(target, "a") as handle:
    handle.write("written by %s after the compile\\n" % marker)
`;
  const daemons = options.daemons ?? 1;
  return `import os, sys, time

def start_daemon(index):
    pid = os.fork()
    if pid == 0:
        os.setsid()
        for _ in range(${options.chain ?? 0}):
            if os.fork() != 0:
                os._exit(0)
        if os.fork() == 0:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.execv(sys.executable, [sys.executable, "-c", ${JSON.stringify(daemon)}, ${JSON.stringify(attack.marker)}, ${JSON.stringify(attack.target)}, ${JSON.stringify(attack.ready)} + str(index), "${attack.delayS}", "${options.ignoreTerm ? 1 : 0}"])
        os._exit(0)
    os.waitpid(pid, 0)

for index in range(${daemons}):
    start_daemon(index)
deadline = time.time() + 30
while time.time() < deadline and not all(os.path.exists(${JSON.stringify(attack.ready)} + str(i)) for i in range(${daemons})):
    time.sleep(0.02)
${options.after ?? 'print("flow done")'}
`;
}

/** Pids whose argv contains `marker`. */
function markerProcesses(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "latin1").includes(marker)) found.push(Number(name));
    } catch {
      // It exited meanwhile.
    }
  }
  return found;
}

const attacks: Attack[] = [];
const opened: ForkServerCompiler[] = [];

/** Without the containment (and when a test fails) the daemons survive: kill them, by their pids. */
afterEach(() => {
  for (const attack of attacks.splice(0)) {
    for (const pid of markerProcesses(attack.marker)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone.
      }
    }
  }
});

afterAll(async () => {
  await Promise.all(opened.map((compiler) => compiler.close()));
});

function compilerFor(root: string, extra: Partial<Parameters<typeof createForkServerCompiler>[0]> = {}): ForkServerCompiler {
  const compiler = createForkServerCompiler({ root, python: "python3", permit: permitMetaflow({ metaflowForbidden: null }, "The tests"), timeoutMs: 30_000, concurrency: 2, preload: "none", ...extra });
  opened.push(compiler);
  return compiler;
}

function request(flowFile: string): CompileRequest {
  return { flowFile, flowClass: null, jobName: null, args: [], cwd: path.posix.dirname(flowFile) };
}

/** After the check returned: once the daemons would have written, nothing was written and none is left. */
async function expectContained(attack: Attack, returnedAt: number): Promise<void> {
  const writesBy = returnedAt + attack.delayS * 1000 + 1500;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, writesBy - Date.now())));
  expect({ written: existsSync(attack.target), left: markerProcesses(attack.marker) }).toEqual({ written: false, left: [] });
}

/** Compiles `source` as flows/attack_flow.py, and checks it was contained. */
async function compileAttack(options: { fork: boolean; code: (attack: Attack) => string; timeoutMs?: number; daemons?: number }): Promise<string | null> {
  const root = tempDir();
  // A daemon of a flow stopped at the timeout writes after it: the flow runs until then.
  const attack = newAttack(root, DELAY_S + (options.timeoutMs ?? 0) / 1000);
  attacks.push(attack);
  writeFiles(root, { "flows/attack_flow.py": options.code(attack) });
  const compiler = compilerFor(root, { fork: options.fork, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  const result = await compiler.compile(request("flows/attack_flow.py"));
  const returnedAt = Date.now();
  // The attack did run: its daemons were up before the compile ended.
  for (let i = 0; i < (options.daemons ?? 1); i++) expect(existsSync(`${attack.ready}${i}`)).toBe(true);
  await expectContained(attack, returnedAt);
  return result.error;
}

describe("attack: nothing a flow starts outlives its compile (the metaflow compiler, Linux)", () => {
  if (!LINUX) {
    it.skip("SKIPPED: the subreaper that finds processes which left their process group exists on Linux only", () => {});
    return;
  }
  for (const [path_, fork] of [
    ["fork server", true],
    ["per-process compiler (MFDAG_NO_FORK_SERVER=1, fallback flows)", false],
  ] as const) {
    it(`${path_}: a flow that double-forks, calls setsid and writes into the repo a second later: its keeper, a subreaper, kills the daemon when the compile ends`, async () => {
      const error = await compileAttack({ fork, code: (attack) => attackCode(attack) });
      expect(error).toBe("dagster create exited 0 but wrote no definitions file");
    });

    it(`${path_}: a setsid daemon that ignores SIGTERM, SIGHUP and SIGINT: killed with SIGKILL all the same`, async () => {
      await compileAttack({ fork, code: (attack) => attackCode(attack, { ignoreTerm: true }) });
    });

    it(`${path_}: a flow that forks many times (12 setsid daemons, each at the end of a chain of 5 exiting parents): the keeper sweeps until none is left`, async () => {
      await compileAttack({ fork, daemons: 12, code: (attack) => attackCode(attack, { daemons: 12, chain: 5, ignoreTerm: true }) });
    });

    it(`${path_}: a flow that daemonizes and then hangs: stopped at the timeout together with its daemon`, async () => {
      const error = await compileAttack({ fork, timeoutMs: 2500, code: (attack) => attackCode(attack, { ignoreTerm: true, after: "time.sleep(600)" }) });
      expect(error).toBe(compileTimeoutMessage(2500));
    });
  }

  it("fork server: a flow that turns off its own subreaper flag, daemonizes and leaves with os._exit: the server (a subreaper too) kills what it left", async () => {
    const unset = "import ctypes\nctypes.CDLL(None).prctl(36, 0, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER off\n";
    const error = await compileAttack({ fork: true, code: (attack) => unset + attackCode(attack, { ignoreTerm: true, after: "os._exit(5)" }) });
    expect(error).toBe("dagster create exited with 5");
  });

  it("mfdag fix: a flow that daemonizes while its definitions file is regenerated: killed when `dagster create` ends, before the fix writes anything", async () => {
    const root = shopRepo();
    const attack = newAttack(root);
    attacks.push(attack);
    // The check before the fix compiles with the datastore in a temp dir; only the regeneration
    // (the user's own environment) runs the attack, so this is the fix's path alone.
    const standIn = standInCompiler(root);
    const python = path.join(tempDir(), "python-attacker");
    writeFileSync(
      python,
      `#!/usr/bin/env python3
import os, sys
args = sys.argv[1:]
if args[1:2] and args[2:4] == ["dagster", "create"] and "METAFLOW_DATASTORE_SYSROOT_LOCAL" not in os.environ:
${attackCode(attack, { ignoreTerm: true, after: "" })
  .split("\n")
  .map((line) => (line ? `    ${line}` : line))
  .join("\n")}
os.execv(${JSON.stringify(standIn)}, [${JSON.stringify(standIn)}, *args])
`,
      { mode: 0o755 },
    );
    const patch = path.join(tempDir(), "fix.patch");
    const { exitCode, stdout } = await runCli(["fix", "--root", root, "--python", python, "--patch", patch], { env: PER_PROCESS_COMPILER });
    const returnedAt = Date.now();
    expect(exitCode).toBe(0);
    expect(stdout).toContain("dagster/train_dagster.py (type-changed epochs) → patch");
    expect(existsSync(`${attack.ready}0`)).toBe(true);
    await expectContained(attack, returnedAt);
  });
});
