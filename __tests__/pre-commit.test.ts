/**
 * The pre-commit hook (.pre-commit-hooks.yaml) on a team's repo: a copy of examples/shop fails it
 * (train_dagster.py is stale on purpose) and passes once the stale pair is gone. With pre-commit
 * installed, through pre-commit's own `try-repo`; always, as pre-commit's node language runs it:
 * `npm pack` of this repo installed globally into an environment, then `entry` without file names.
 *
 * No registry traffic: npm runs with `offline`. pre-commit's node language first runs `npm install`
 * of this repo's devDependencies, which needs them in the npm cache (`npm ci` has put them there).
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa, execaSync } from "execa";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { PROJECT, tempDir } from "./helpers/repo.js";

interface HookManifestEntry {
  id: string;
  language: string;
  entry: string;
  pass_filenames?: boolean;
  files?: string;
  require_serial?: boolean;
}

const hooks = parseYaml(readFileSync(path.join(PROJECT, ".pre-commit-hooks.yaml"), "utf8")) as HookManifestEntry[];
const hook = hooks.find((entry) => entry.id === "mfdag-check")!;

const preCommitVersion = (() => {
  try {
    return execaSync("pre-commit", ["--version"]).stdout.trim();
  } catch {
    return null;
  }
})();

interface PreCommitConfig {
  repos: { repo: string; rev: string; hooks: { id: string; args?: string[] }[] }[];
}

/** The ```yaml block of the README's "pre-commit" section. */
function readmePreCommitConfig(): PreCommitConfig {
  const readme = readFileSync(path.join(PROJECT, "README.md"), "utf8");
  const match = /```yaml\n(# \.pre-commit-config\.yaml\n[\s\S]*?)```/.exec(readme.slice(readme.indexOf("### pre-commit")));
  if (!match) throw new Error("README.md: no ```yaml block starting with '# .pre-commit-config.yaml' in the pre-commit section");
  return parseYaml(match[1]!) as PreCommitConfig;
}

const git = (cwd: string, ...args: string[]) => execa("git", ["-c", "user.name=mfdag tests", "-c", "user.email=tests@example.invalid", "-c", "init.defaultBranch=main", ...args], { cwd });

/** A team's repo: a git repo holding a copy of examples/shop. */
async function teamRepo(): Promise<string> {
  const root = tempDir("mfdag-team-");
  cpSync(path.join(PROJECT, "examples/shop"), root, { recursive: true });
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-q", "-m", "shop");
  return root;
}

async function removeStalePair(root: string): Promise<void> {
  await git(root, "rm", "-q", "flows/train_flow.py", "dagster/train_dagster.py");
  await git(root, "commit", "-q", "-m", "drop the stale flow");
}

/** npm without the registry, with a cache of its own unless `sharedCache` (pre-commit's devDependency install needs the user's). */
const offlineNpm = (dir: string, sharedCache = false) => ({
  npm_config_offline: "true",
  npm_config_update_notifier: "false",
  npm_config_fund: "false",
  npm_config_audit: "false",
  ...(sharedCache ? {} : { npm_config_cache: path.join(dir, ".npm-cache") }),
});

describe(".pre-commit-hooks.yaml", () => {
  it("is what the README's .pre-commit-config.yaml names: this repository, a release tag, the mfdag-check hook", () => {
    const config = readmePreCommitConfig();
    expect(config.repos).toHaveLength(1);
    expect(config.repos[0]!.repo).toBe("https://github.com/mfdag-dev/mfdag-action");
    expect(config.repos[0]!.rev).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(config.repos[0]!.hooks.map((entry) => entry.id)).toEqual(["mfdag-check"]);
    expect(hooks.map((entry) => entry.id)).toContain("mfdag-check");
  });

  it("declares mfdag-check: a node hook running `mfdag check` once per commit that touches Python files, the config file or the files importRoots are read from", () => {
    expect(hook).toMatchObject({ language: "node", entry: "mfdag check", pass_filenames: false, require_serial: true });
    const files = new RegExp(hook.files!);
    for (const changed of ["flows/train_flow.py", "dagster/train_dagster.py", "train_flow.py", ".mfdag.yml", "sub/.mfdag.yaml", "mfdag.config.json", "pyproject.toml", "libs/setup.cfg"]) expect(changed).toMatch(files);
    for (const unrelated of ["README.md", "flows/data.csv", "not.mfdag.yml", "setup.pyc", "mypyproject.toml"]) expect(unrelated).not.toMatch(files);
  });

  it("runs as pre-commit's node language runs it: npm pack installed into an environment, entry without file names; fails on the stale shop, passes without it", async () => {
    const work = tempDir("mfdag-hook-env-");
    const env = offlineNpm(work);
    const packed = await execa("npm", ["pack", "--pack-destination", work, "--json"], { cwd: PROJECT, env });
    const tarball = path.join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    const prefix = path.join(work, "node_env");
    mkdirSync(prefix);
    await execa("npm", ["install", "-g", "--prefix", prefix, tarball], { env });
    const [command, ...args] = hook.entry.split(/\s+/);
    const runHook = (cwd: string) => execa(command!, args, { cwd, reject: false, env: { PATH: `${path.join(prefix, "bin")}${path.delimiter}${process.env.PATH}`, NO_COLOR: "1" } });

    const team = await teamRepo();
    const stale = await runHook(team);
    expect(stale.exitCode).toBe(1);
    expect(stale.stdout).toContain("flows/train_flow.py");
    expect(stale.stdout).toContain("epochs");
    await removeStalePair(team);
    const clean = await runHook(team);
    expect(clean.stdout).toContain("flows/etl_flow.py");
    expect(clean.stdout).not.toContain("train_flow");
    expect(clean.exitCode).toBe(0);
  });

  it.skipIf(preCommitVersion === null)(
    `runs through pre-commit (${preCommitVersion ?? "skipped: pre-commit is not installed; the test above runs the hook's entry as pre-commit would"}): try-repo fails on the stale shop, the README's .pre-commit-config.yaml passes without it`,
    async () => {
      // pre-commit installs a hook from a repository at a commit: a snapshot of this working tree
      // (what try-repo does itself for a dirty tree), so uncommitted changes are what is tested.
      const hookRepo = tempDir("mfdag-hook-repo-");
      const listed = (await execa("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: PROJECT })).stdout.split("\0");
      for (const file of listed.filter((name) => name && !name.startsWith("node_modules"))) {
        try {
          cpSync(path.join(PROJECT, file), path.join(hookRepo, file));
        } catch (error) {
          // A file deleted in the working tree but still in the index.
          if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        }
      }
      await git(hookRepo, "init", "-q");
      await git(hookRepo, "add", "-A");
      await git(hookRepo, "commit", "-q", "-m", "snapshot");
      const rev = (await git(hookRepo, "rev-parse", "HEAD")).stdout.trim();

      const home = tempDir("mfdag-pre-commit-home-");
      const env = { ...offlineNpm(home, true), PRE_COMMIT_HOME: home, NO_COLOR: "1" };
      const explain = (run: { stdout: string; stderr: string }) =>
        /An (unexpected )?error has occurred/.test(run.stdout + run.stderr)
          ? `pre-commit could not install the hook offline (run npm ci first, so that npm's cache holds this repo's devDependencies):\n${run.stdout}\n${run.stderr}`
          : `${run.stdout}\n${run.stderr}`;

      // pre-commit's own try-repo, on the stale shop.
      const team = await teamRepo();
      const stale = await execa("pre-commit", ["try-repo", hookRepo, "mfdag-check", "--all-files"], { cwd: team, reject: false, env });
      expect(stale.stdout, explain(stale)).toMatch(/mfdag check \(.*\)\.+Failed/);
      expect(stale.stdout).toContain("- hook id: mfdag-check");
      expect(stale.stdout).toContain("flows/train_flow.py");
      expect(stale.stdout).toContain("epochs");
      expect(stale.exitCode).toBe(1);

      // The README's snippet, pointed at the snapshot, once the stale pair is gone.
      await removeStalePair(team);
      const config = readmePreCommitConfig();
      config.repos[0]!.repo = hookRepo;
      config.repos[0]!.rev = rev;
      writeFileSync(path.join(team, ".pre-commit-config.yaml"), stringifyYaml(config));
      await git(team, "add", ".pre-commit-config.yaml");
      await git(team, "commit", "-q", "-m", "pre-commit");
      const clean = await execa("pre-commit", ["run", "--all-files"], { cwd: team, reject: false, env });
      expect(clean.stdout, explain(clean)).toMatch(/mfdag check \(.*\)\.+Passed/);
      expect(clean.exitCode).toBe(0);
    },
    600_000,
  );
});
