#!/usr/bin/env node
// Writes the README's "Attacks tested" table from the NAMES of the attack tests: each top-level
// describe is a guarantee, each test under it an attack and its defense. The tests are listed with
// `vitest list --json=FILE`, which collects them without running any.
//
//   node scripts/attack-table.mjs           rewrite the table between the README's markers
//   node scripts/attack-table.mjs --check   exit 1 when the README's table is not current
//
// Sources: the files below, in this order, plus any other test file with a top-level describe
// whose title starts with "attack:" (only those describes are taken from it).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const README = path.join(PROJECT, "README.md");
const START = "<!-- attacks:start -->";
const END = "<!-- attacks:end -->";
const ATTACK_FILES = ["__tests__/attacks.test.ts", "__tests__/injection.test.ts", "__tests__/parsers-property.test.ts", "__tests__/github-faults.test.ts"];
const ATTACK_PREFIX = "attack:";

/** Other test files that declare an `attack:` describe (found by text, so nothing else is collected). */
function filesWithAttackDescribes() {
  const dir = path.join(PROJECT, "__tests__");
  return readdirSync(dir)
    .filter((name) => name.endsWith(".test.ts"))
    .map((name) => `__tests__/${name}`)
    .filter((file) => !ATTACK_FILES.includes(file))
    .filter((file) => /\bdescribe(?:\.\w+)*\(\s*(["'`])attack:/.test(readFileSync(path.join(PROJECT, file), "utf8")))
    .sort();
}

/** `[{ name: "describe > test", file: "/abs/path" }]` for `files`, in vitest's collection order. */
function listTests(files) {
  const temp = mkdtempSync(path.join(os.tmpdir(), "mfdag-attacks-"));
  const out = path.join(temp, "tests.json");
  try {
    // `--json=FILE` in one argument: with a space, vitest would take the next argument as the file
    // to write, and overwrite that test file.
    execFileSync(process.execPath, [path.join(PROJECT, "node_modules/vitest/vitest.mjs"), "list", `--json=${out}`, ...files], {
      cwd: PROJECT,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    return JSON.parse(readFileSync(out, "utf8"));
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Table cell text: one line, no column breaks, no HTML, no emphasis (`__pycache__` stays as it is). */
function cell(text) {
  return text
    .replace(/\r?\n/g, " ")
    .replace(/[\\`*_[\]|]/g, (ch) => `\\${ch}`)
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

function buildTable() {
  const extra = filesWithAttackDescribes();
  const order = [...ATTACK_FILES, ...extra];
  const tests = listTests(order);
  const rows = [];
  for (const file of order) {
    const own = tests.filter((test) => path.relative(PROJECT, test.file).split(path.sep).join("/") === file);
    if (own.length === 0) throw new Error(`${file}: vitest listed no tests (is the file there, and does it collect?)`);
    for (const test of own) {
      const [describe, ...rest] = test.name.split(" > ");
      const isAttackDescribe = describe.startsWith(ATTACK_PREFIX);
      if (extra.includes(file) && !isAttackDescribe) continue;
      const guarantee = rest.length > 0 ? describe.slice(isAttackDescribe ? ATTACK_PREFIX.length : 0).trim() : "";
      const attack = rest.length > 0 ? rest.join(" › ") : describe;
      rows.push({ guarantee, attack, file });
    }
  }
  const lines = ["| Guarantee | Attack tested | Test file |", "| --- | --- | --- |"];
  let previous = null;
  for (const row of rows) {
    // The guarantee heads its group of rows, like a section.
    const guarantee = row.guarantee === previous ? "" : `**${cell(row.guarantee)}**`;
    previous = row.guarantee;
    lines.push(`| ${guarantee} | ${cell(row.attack)} | [${path.posix.basename(row.file)}](${row.file}) |`);
  }
  return { table: lines.join("\n"), count: rows.length };
}

function main() {
  const check = process.argv.includes("--check");
  const readme = readFileSync(README, "utf8");
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) {
    console.error(`README.md has no ${START} ... ${END} markers (see the "Attacks tested" section).`);
    process.exit(2);
  }
  const { table, count } = buildTable();
  const updated = `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
  if (check) {
    if (updated !== readme) {
      console.error("README's attack table is stale: run npm run attacks");
      process.exit(1);
    }
    console.log(`README's attack table is current (${count} attacks).`);
    return;
  }
  if (updated !== readme) writeFileSync(README, updated);
  console.log(`README's attack table: ${count} attacks${updated === readme ? ", unchanged" : ", written"}.`);
}

main();
