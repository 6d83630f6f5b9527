// `node limit.mjs PYTHON LIST`: the physical limit of a check, what no check can beat: Node starts
// (this script), and one Python reads every `.py` file of the repo and `ast.parse`s every flow file.
// LIST's first line is the repo root; each further line a repo-relative path prefixed "P " (a flow:
// read and parse) or "R " (read only). The benchmark times this whole command, so Node's start is
// included; listing the files (git ls-files) is not: the benchmark lists them before.
import { spawnSync } from "node:child_process";

const [python, list] = process.argv.slice(2);
// -I -S -B: no site-packages, no user paths, no bytecode written: the least a Python start costs.
const code = `
import ast, os, sys
with open(sys.argv[1], encoding="utf-8") as f:
    root, *entries = f.read().split("\\n")
parsed = read = 0
for entry in entries:
    if not entry:
        continue
    with open(os.path.join(root, entry[2:]), "rb") as f:
        data = f.read()
    read += 1
    if entry[0] == "P":
        ast.parse(data, entry[2:])
        parsed += 1
print(read, parsed)
`;
const run = spawnSync(python, ["-I", "-S", "-B", "-c", code, list], { encoding: "utf8" });
if (run.status !== 0) {
  process.stderr.write(run.error ? String(run.error) : run.stderr);
  process.exit(1);
}
process.stdout.write(run.stdout);
