/**
 * The one place that builds a GitHub client. Every request goes through Octokit's own retry plugin
 * (5xx and other transient answers, with backoff) and throttling plugin (primary and secondary rate
 * limits, honouring `retry-after`), so the publishing modules never sleep or retry by themselves.
 */
import { getOctokit } from "@actions/github";
import { getOctokitOptions } from "@actions/github/lib/utils";
import { retry } from "@octokit/plugin-retry";
import { throttling, type ThrottlingOptions } from "@octokit/plugin-throttling";
import type { Logger } from "../core/ports.js";

/** The client every module under `src/github/` takes: REST methods, `paginate`, `graphql`, `request`. */
export type Octokit = ReturnType<typeof getOctokit>;

export interface OctokitSettings {
  token: string;
  /** REST API root, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`. */
  baseUrl?: string;
  logger: Logger;
  /**
   * Milliseconds per "second" of retry delay, for both plugins (default 1000, the plugins' own).
   * Tests pass a few milliseconds so a `retry-after: 1` or a 5xx backoff costs almost nothing.
   */
  retryBaseMs?: number;
  /**
   * Space writes out as GitHub asks (at least 1 s between writes, 3 s between writes that notify
   * people), as the throttling plugin does by default. Tests turn it off: a test file makes dozens
   * of writes against a local fake server.
   */
  paceWrites?: boolean;
  /**
   * An attempt whose whole response (headers and body) has not arrived after this long is aborted
   * and retried like a 5xx. Default: `MFDAG_GITHUB_TIMEOUT_MS` when set (tests), else 30 s.
   */
  requestTimeoutMs?: number;
  /**
   * Epoch milliseconds after which no request is sent and no attempt outlives: the budget of all of
   * publishing, so retries and rate-limit waits on many requests cannot add up past the step's own
   * time. A request refused for it fails at once with a 400 that no plugin retries.
   */
  deadline?: number;
}

/** GitHub answers within seconds; a request hanging this long is better retried than waited on. */
const REQUEST_TIMEOUT_MS = 30_000;

/** The deadline of each attempt: the setting, else `MFDAG_GITHUB_TIMEOUT_MS` (a positive integer), else 30 s. */
function requestTimeout(setting: number | undefined): number {
  if (setting !== undefined) return setting;
  const fromEnv = Number(process.env.MFDAG_GITHUB_TIMEOUT_MS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : REQUEST_TIMEOUT_MS;
}

/**
 * The retry plugin's own list plus 429: rate limits belong to the throttling plugin, which honours
 * `retry-after`. Left to both, one 429 becomes up to 12 requests (3 retries inside each of the
 * throttling plugin's attempts) with the retry plugin's 1 s, 4 s, 9 s backoff ignoring `retry-after`.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];
/** Rate-limit retries per request; a third limit in a row means the job should rather report and move on. */
const MAX_LIMIT_RETRIES = 2;
/**
 * A primary limit resets up to an hour later; waiting that long burns runner minutes for a comment,
 * so longer waits are not retried (the caller reports the error instead).
 */
const MAX_LIMIT_WAIT_SECONDS = 120;

/** A client for `baseUrl` with retry and throttling. Pass `baseUrl` explicitly; the action passes `GITHUB_API_URL`. */
export function createOctokit(settings: OctokitSettings): Octokit {
  const { token, logger } = settings;
  const baseUrl = settings.baseUrl ?? process.env.GITHUB_API_URL ?? "https://api.github.com";
  const base = settings.retryBaseMs;

  const onLimit =
    (kind: string) =>
    (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
      const retrying = retryCount < MAX_LIMIT_RETRIES && retryAfter <= MAX_LIMIT_WAIT_SECONDS;
      logger.warning(
        `GitHub ${kind} rate limit on ${options.method} ${options.url}: ` +
          (retrying ? `retrying in ${retryAfter} s (retry ${retryCount + 1} of ${MAX_LIMIT_RETRIES}).` : "giving up."),
      );
      return retrying;
    };

  const throttle: ThrottlingOptions = {
    onRateLimit: onLimit("primary"),
    onSecondaryRateLimit: onLimit("secondary"),
    ...(base === undefined ? {} : { retryAfterBaseValue: base }),
    ...(settings.paceWrites === false ? { write: unpacedGroup, notifications: unpacedGroup } : {}),
  };

  // Each attempt (retries included) gets its own deadline for the whole response: a server that
  // accepts the connection and never answers, or sends headers and then trickles the body, would
  // otherwise hang the job until the runner kills it. It is set in fetch because Octokit's hooks
  // cannot hand new options to the plugins' retries.
  const fetch = withDeadline(isLoopback(baseUrl) ? globalThis.fetch : proxyFetch(token), requestTimeout(settings.requestTimeoutMs), settings.deadline);
  const octokit = getOctokit(
    token,
    {
      baseUrl,
      retry: { doNotRetry: DO_NOT_RETRY, ...(base === undefined ? {} : { retryAfterBaseValue: base }) },
      throttle,
      log: {
        debug: (message: string) => logger.debug(message),
        info: (message: string) => logger.debug(message),
        warn: (message: string) => logger.warning(message),
        error: (message: string) => logger.warning(message),
      },
      // @actions/github routes requests through a proxy agent chosen for GITHUB_API_URL when it is
      // loaded; a loopback server (tests, local fakes) must never go through that proxy.
      request: { fetch },
    },
    retry,
    throttling,
  );
  // Octokit merges every request's options over shared defaults, so without this all requests of
  // a client share one `request` object, and the retry plugin's counters in it leak from one
  // request into the next (a later failure then starts at 25 s of backoff). Hooks registered last
  // run first: this copy happens before the plugins see the options.
  octokit.hook.before("request", (options) => {
    options.request = { ...options.request };
  });
  return octokit;
}

type Fetch = typeof globalThis.fetch;

/** The proxy-aware fetch @actions/github would use by default. */
function proxyFetch(token: string): Fetch {
  return (getOctokitOptions(token).request as { fetch?: Fetch } | undefined)?.fetch ?? globalThis.fetch;
}

/** Statuses whose responses have no body (the Response constructor refuses one for them). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * `fetch` that delivers the whole response within `timeoutMs`, or fails. The body is read here,
 * under the same signal as the headers, because Octokit reads it later with every error swallowed:
 * a body cut off by a deadline there becomes `data: ""`, a "successful" empty page that would
 * make a listing look empty. Failing inside fetch instead makes it a 500 that the retry plugin
 * retries. `AbortSignal.timeout` keeps no timer alive and needs no clearing.
 */
function withDeadline(fetch: Fetch, perAttemptMs: number, budgetEnd: number | undefined): Fetch {
  return async (input, init) => {
    const timeoutMs = budgetEnd === undefined ? perAttemptMs : Math.min(perAttemptMs, budgetEnd - Date.now());
    if (timeoutMs <= 0) {
      return new Response(JSON.stringify({ message: "not sent: mfdag's time for publishing ran out" }), { status: 400, headers: { "content-type": "application/json" } });
    }
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    try {
      const response = await fetch(input, { ...init, signal });
      const body = NULL_BODY_STATUSES.has(response.status) ? null : await response.arrayBuffer();
      const whole = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      // Octokit reports `response.url` (the URL after redirects); a constructed Response has none.
      Object.defineProperty(whole, "url", { value: response.url });
      return whole;
    } catch (error) {
      // A plain Error (not an AbortError) is what Octokit wraps as a retryable 500.
      if (deadline.aborted) throw new Error(`GitHub did not send the whole response within ${timeoutMs} ms`, { cause: error });
      throw error;
    }
  };
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host.startsWith("127.") || host === "[::1]";
}

/**
 * A stand-in for a Bottleneck group that runs every job at once. The plugin only calls
 * `group.key(id).schedule(options, fn, ...args)`, Bottleneck's public API; Bottleneck itself is not
 * a dependency of ours, so it is not imported.
 */
const unpacedGroup = {
  key: () => ({
    schedule: (_options: unknown, job: (...args: unknown[]) => unknown, ...args: unknown[]) => Promise.resolve(job(...args)),
  }),
} as unknown as NonNullable<Extract<ThrottlingOptions, { onRateLimit: unknown }>["write"]>;

/**
 * A `paginate` map function that stops after `max` pages: a pull request flooded with comments
 * cannot make a listing read without end. One per listing (it counts that listing's pages).
 */
export function firstPages(max: number) {
  let pages = 0;
  return <T>(response: { data: T[] }, done: () => void): T[] => {
    if (++pages >= max) done();
    return response.data;
  };
}

/** The HTTP status of an Octokit `RequestError`, or `undefined` for anything else. */
export function httpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/**
 * A 403 that means "this token may not do that", not "slow down": GitHub answers rate limits with
 * 403 too, and those must surface as errors rather than as a permissions hint.
 */
export function isPermissionDenied(error: unknown): boolean {
  if (httpStatus(error) !== 403) return false;
  const response = (error as { response?: { headers?: Record<string, string | undefined> } }).response;
  const message = error instanceof Error ? error.message : "";
  return !/rate limit/i.test(message) && response?.headers?.["x-ratelimit-remaining"] !== "0";
}

/** One line for the log when a write was refused, pointing to the fork-friendly workflow. */
export function forbiddenMessage(what: string, error: unknown): string {
  const status = httpStatus(error);
  const detail = (error instanceof Error ? error.message : String(error)).split("\n")[0]?.replace(/ - https:\/\/\S+$/, "") ?? "";
  return (
    `Could not ${what} (HTTP ${status ?? "?"}: ${detail}): the token cannot write to this pull request, as with ` +
    `GITHUB_TOKEN on pull requests from forks; see "Pull requests from forks" (the workflow_run pattern) in the README.`
  );
}
