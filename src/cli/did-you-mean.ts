/**
 * "Did you mean" for a mistyped command, option or value: the closest known name within a small
 * edit distance, or none. What is typed may be anything (a pasted path, a megabyte of argument),
 * so words past MAX_WORD are not compared at all and the distance is cut off at its bound: the work
 * stays a few thousand steps per candidate whatever the input.
 */

/** Longer words are not typos of our names; comparing them would only cost time. */
const MAX_WORD = 64;
/** Two edits (a dropped letter and a swap: `--complier`, `chek`) is a typo; more is another word. */
const MAX_EDITS = 2;

/**
 * The optimal-string-alignment form of the Damerau-Levenshtein distance (insertions, deletions,
 * substitutions and swaps of neighbours, each 1), or `bound + 1` as soon as it must exceed `bound`.
 */
export function editDistance(a: string, b: string, bound: number): number {
  if (Math.abs(a.length - b.length) > bound) return bound + 1;
  // Three rows of the table: two back for a swap, one back, and the one being filled.
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current.push(d);
      rowMin = Math.min(rowMin, d);
    }
    // Every later cell is at least the smallest of this row: past the bound, nothing can come back.
    if (rowMin > bound) return bound + 1;
    before = previous;
    previous = current;
  }
  return Math.min(previous[b.length]!, bound + 1);
}

/** A name as it is compared: lower case, without the dashes of an option. */
const bare = (name: string) => name.replace(/^-+/, "").toLowerCase();

/**
 * The candidate closest to `word` (case-insensitively, options without their dashes), when it is a
 * likely typo of it: at most two edits, and at most one for words of four letters or fewer, where
 * two edits reach too many words (`frob` is not `flow`). The first of equally close candidates
 * wins, so list them in the order they should be offered.
 */
export function closestName(word: string, candidates: readonly string[]): string | null {
  if (word.length === 0 || word.length > MAX_WORD) return null;
  const typed = bare(word);
  const bound = typed.length <= 4 ? 1 : MAX_EDITS;
  let best: string | null = null;
  let bestDistance = bound + 1;
  for (const candidate of candidates) {
    const distance = editDistance(typed, bare(candidate), bound);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** ` Did you mean 'check'?`, or nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const suggestion = closestName(word, candidates);
  return suggestion === null ? "" : ` Did you mean '${suggestion}'?`;
}
