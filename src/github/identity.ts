/**
 * Who the token is. mfdag finds its own comments, review comments and issues by a hidden marker,
 * and anyone can type a marker: only things written by the token's own identity count. Every
 * module under `src/github/` asks here, so there is one rule for "ours".
 */
import type { Octokit } from "./octokit.js";

/** The author `GITHUB_TOKEN` comments carry, for when the token cannot tell us who it is. */
const ACTIONS_BOT = "github-actions[bot]";

/** One `viewer` query per client: the sticky comment, the review and the issue all ask. */
const logins = new WeakMap<Octokit, Promise<string | null>>();

/** The token's own login, from GraphQL `viewer`; null when the token may not ask. */
export function tokenLogin(octokit: Octokit): Promise<string | null> {
  let login = logins.get(octokit);
  if (!login) {
    login = octokit
      .graphql<{ viewer: { login: string } }>("query { viewer { login } }")
      .then(({ viewer }) => viewer.login)
      .catch(() => null);
    logins.set(octokit, login);
  }
  return login;
}

/**
 * Who the token is, as a test on REST author logins. GraphQL's `viewer` answers for PATs and app
 * installation tokens alike (`my-app` for the comments' `my-app[bot]`), hence the `[bot]` stripping.
 */
export async function tokenIdentity(octokit: Octokit): Promise<(login: string | undefined) => boolean> {
  return identityOf(await tokenLogin(octokit));
}

/**
 * Whether a REST author login is the token's: bots are `name` in GraphQL and `name[bot]` in REST.
 * Without a login (some tokens may not query `viewer`), the Actions token is the likely author.
 * A missing author (a deleted account, "ghost") is never ours.
 */
export function identityOf(me: string | null): (login: string | undefined) => boolean {
  const normalize = (login: string) => login.replace(/\[bot\]$/, "").toLowerCase();
  if (me === null) return (login) => login === ACTIONS_BOT;
  return (login) => login !== undefined && normalize(login) === normalize(me);
}

/** The REST logins the token's own issues and comments may carry (see identityOf). */
export function restLoginsOf(me: string | null): string[] {
  if (me === null) return [ACTIONS_BOT];
  return me.endsWith("[bot]") ? [me] : [me, `${me}[bot]`];
}
