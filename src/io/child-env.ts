/**
 * The environment every child process starts from. The Actions runner hands mfdag its inputs as
 * `INPUT_*` variables (the `github-token` among them) and its own runtime tokens (artifacts, cache,
 * OIDC); the metaflow compiler runs a pull request's flow files, which must see none of them. The
 * compiles need none: they get the rest of the environment, as the user's own `dagster create`
 * would. The Node side keeps them (the artifact client reads its token from our own environment).
 */
const WITHHELD = /^(INPUT_|ACTIONS_RUNTIME_TOKEN$|ACTIONS_RUNTIME_URL$|ACTIONS_RESULTS_URL$|ACTIONS_CACHE_URL$|ACTIONS_ID_TOKEN_REQUEST_(TOKEN|URL)$|GITHUB_TOKEN$|GH_TOKEN$)/i;

export function childEnvironment(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined && !WITHHELD.test(name)) out[name] = value;
  return out;
}
