// Runs a command and measures it: wall time, the largest process's peak RSS (GNU time's %M, which
// covers the command and every descendant it waited for, as a maximum, not a sum), and the peak of
// the summed PSS of the whole process tree, sampled from /proc (PSS counts pages a fork shares with
// its parent once, so a fork server's children are not counted as full copies).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

let gnuTime = null;
export function gnuTimeAvailable() {
  if (gnuTime === null) {
    gnuTime = false;
    if (existsSync("/usr/bin/time")) {
      const dir = mkdtempSync(path.join(os.tmpdir(), "mfdag-bench-time-"));
      try {
        const out = path.join(dir, "t");
        const status = spawnSync("/usr/bin/time", ["-f", "%M", "-o", out, "true"], { stdio: "ignore" }).status;
        gnuTime = status === 0 && /^\d+\s*$/.test(readFileSync(out, "utf8"));
      } catch {
        gnuTime = false;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return gnuTime;
}

function children() {
  const byParent = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!byParent.has(ppid)) byParent.set(ppid, []);
      byParent.get(ppid).push(Number(entry));
    } catch {
      // gone
    }
  }
  return byParent;
}

function treePssKb(root) {
  const byParent = children();
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      const match = /^Pss:\s+(\d+) kB/m.exec(rollup);
      if (match) total += Number(match[1]);
    } catch {
      // gone, or no permission
    }
    stack.push(...(byParent.get(pid) ?? []));
  }
  return total;
}

/**
 * @returns {Promise<{ wallMs: number, maxRssKb: number | null, treePssKb: number | null, exitCode: number | null, stdout: string, stderr: string }>}
 */
export async function measure(command, args, { cwd, env, sampleMs = 100 } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mfdag-bench-"));
  const timeFile = path.join(dir, "time");
  const useTime = gnuTimeAvailable();
  const started = process.hrtime.bigint();
  const child = useTime ? spawn("/usr/bin/time", ["-f", "%M", "-o", timeFile, command, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] }) : spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const canSample = existsSync("/proc/self/smaps_rollup");
  let peakPss = 0;
  const sample = () => {
    if (canSample && child.pid) peakPss = Math.max(peakPss, treePssKb(child.pid));
  };
  const timer = canSample ? setInterval(sample, sampleMs) : null;
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
  const exitCode = await new Promise((resolve) => child.on("close", (code) => resolve(code)));
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (timer) clearInterval(timer);
  let maxRssKb = null;
  if (useTime) {
    try {
      const last = readFileSync(timeFile, "utf8").trim().split("\n").pop();
      maxRssKb = /^\d+$/.test(last) ? Number(last) : null;
    } catch {
      maxRssKb = null;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return { wallMs, maxRssKb, treePssKb: canSample ? peakPss : null, exitCode, stdout, stderr };
}
