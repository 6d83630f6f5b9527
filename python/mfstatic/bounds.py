"""Bounds: the limits every value, file and flow is held to, and the per-flow budget."""

import time

from .outcomes import BudgetExceeded, Inexact, OutcomeKind
from .values import BoundMethod, ConfigExpr


DEFAULT_MAX_FILE_BYTES = 2_000_000


MAX_CLASS_DEPTH = 100  # inheritance chain length bound


MAX_EVAL_DEPTH = 150  # expression nesting bound


MAX_EVAL_STEPS = 200_000  # evaluation work bound per binding / parameter


MAX_SEQ_LEN = 1_000_000  # longest str/bytes/container the evaluator builds (weight(), below)


# Python >= 3.11 refuses to convert ints of more than 4300 digits to str (int_max_str_digits);
# older ones do it in quadratic time.  A little above that limit (4515 digits) keeps every
# int <-> str conversion cheap and still lets the real limit show as the real compiler's error.
MAX_INT_BITS = 15_000


MAX_INT_DIGITS = 5_000  # longest digit string int()/float()/json.loads() may parse


MAX_FORMAT_WIDTH = 10_000


# One flow (or one scanned file), whatever it reads: a hostile repo can write thousands of
# defaults or module-level values that are each under the bounds above.  Exceeding one of these
# makes the flow inexact, names the budget, and the next flow starts with a fresh one.
MAX_FLOW_STEPS = 1_000_000  # evaluator steps, summed over every binding the flow evaluates


# Wall clock, from the start of the flow (reading the files it imports included): the safety
# net for steps that are slow but allowed.  Healthy flows take milliseconds; this leaves room
# for a large one on a loaded two-core runner.
MAX_FLOW_SECONDS = 10.0


MAX_FLOW_WEIGHT = 4 * MAX_SEQ_LEN  # sum of the weights of the values built or read


# Module-level values stay cached for the whole check (every flow reads the same modules); past
# this total a binding's value is recomputed when read instead of kept, so memory stays bounded
# however many flows each fill their own budget.
MAX_CACHED_WEIGHT = 4 * MAX_SEQ_LEN


# Syntax trees are large next to their source: up to about 0.93 KB per token (measured on
# Python 3.9-3.13 with `a\n`, `a;`, `lambda:0`, calls, slices... repeated), so one 2 MB file of
# small expressions parses to ~1.9 GB, and parsed files stay cached for the whole check.  What a
# file may cost is estimated before it is parsed, from its tokens counted by TOKEN_RE (words,
# other symbols and line breaks, in strings and comments too: an over-count, so however strings
# and f-strings nest, a file cannot hide tokens from it) plus its characters (its text and
# constants) at 1/64 of a token each.  Real code has 3.3-3.7 bytes per token (2 for generated
# tables), so a real file under the 2 MB byte limit stays under MAX_FILE_TOKENS; the benchmark's
# 1000 flows are 240,000 tokens together, a quarter of MAX_HELD_TOKENS.
MAX_FILE_TOKENS = 1_000_000  # a file over this is refused before it is parsed


# What all the cached files of one process may weigh together (~0.9 GB of trees at worst, half
# that for real code).  Past it the cache is emptied between two flows (a flow's modules are
# never mixed with modules parsed before the reset); a flow that needs more than this on its
# own is not exact, naming the limit.
MAX_HELD_TOKENS = 1_000_000


# Python < 3.12 parses an f-string in time (its replacement fields) x (the length of its
# literal): for each field it searches and scans the whole literal again to place the field's
# line and column (measured on 3.9-3.11: up to 0.25 ns per field x character; 40,000 `{a}` in
# one literal take 0.9 s, 10,000 fields in a 1 MB literal 1.6 s, one 2 MB literal of `{a}`
# minutes, in one C call that holds the GIL: no budget or progress line can interrupt it).
# Separate literals, even implicitly concatenated, cost each their own length.  So before it is
# parsed, a file is refused when one f-string has more than MAX_FSTRING_FIELDS fields, or when
# its f-strings have more than MAX_FSTRING_WORK fields x characters together (0.25 s at worst).
# Real f-strings have a few fields in a few hundred characters (a 1,000-field template of
# 100 KB is 10^8).  Refused on every version, though 3.12+ is near-linear: the same file gets
# the same result whatever Python runs the check.
MAX_FSTRING_FIELDS = 10_000


MAX_FSTRING_WORK = 1_000_000_000


CLOCK_EVERY_STEPS = 64  # time.monotonic() every N steps: cheap next to the steps themselves


MAX_SORT_ITEMS = 100_000  # sorted() is n log n


MAX_SEARCH_WORK = 100_000_000  # len(text) * len(needle): substring search is O(n*m) on Python 3.9


MAX_INCLUDE_BYTES = 512 * 1024 * 1024  # IncludeFile defaults are hashed (sha1) like the upload


class FlowBudget:
    """What one flow (or one scanned file) may spend, however many bindings it evaluates:
    steps, wall-clock time and the total weight of the values it builds or reads.  The server
    is single-threaded and evaluates one flow at a time, so there is one, reset per flow."""

    def __init__(self):
        self.start()

    def start(self):
        self.steps = 0
        self.weight = 0
        self.deadline = time.monotonic() + MAX_FLOW_SECONDS
        self.next_check = CLOCK_EVERY_STEPS
        self.exhausted = None  # the BudgetExceeded, once it ran out: it stays out for this flow

    def check(self):
        """Raises BudgetExceeded when out of steps or time; EvalCtx.tick calls it every
        CLOCK_EVERY_STEPS steps, heavy calls after each call."""
        if self.exhausted is None:
            if self.steps > MAX_FLOW_STEPS:
                self.exhaust("more than %d evaluation steps" % MAX_FLOW_STEPS)
            elif time.monotonic() > self.deadline:
                self.exhaust("more than %g s on this flow, reading and evaluating its files" % MAX_FLOW_SECONDS)
            else:
                self.next_check = self.steps + CLOCK_EVERY_STEPS
                return
        raise self.exhausted.with_traceback(None)

    def charge(self, weight):
        """A value of `weight` was built or read for this flow."""
        self.weight += weight
        if self.weight > MAX_FLOW_WEIGHT:
            self.exhaust("values of a total weight over %d (about characters plus elements)" % MAX_FLOW_WEIGHT)
        if weight >= 10_000:
            self.check()  # building it took a while

    def exhaust(self, what):
        if self.exhausted is None:
            self.exhausted = BudgetExceeded(
                "the static compiler's budget for one flow ran out (%s); "
                "not evaluated further" % what)
            # Every later step raises at once.
            self.next_check = 0
        raise self.exhausted.with_traceback(None)


BUDGET = FlowBudget()


def cacheable_failure():
    """Whether an Inexact may be cached (module bindings, class bases...): not once the flow's
    budget ran out, since that failure belongs to this flow, not to the code evaluated, and
    the same code is read again by the next flow with a budget of its own."""
    return BUDGET.exhausted is None


class EvalCtx:
    """Per-evaluation bookkeeping: work bound, nesting depth, machine taint."""

    def __init__(self):
        self.steps = 0
        self.depth = 0
        # True once the value depends on the absolute location of a file
        # (__file__, os.getcwd()), which differs between machines.
        self.tainted = False

    def tick(self):
        # evaluator.evaluate runs the same lines inline (its most frequent call): change both.
        self.steps += 1
        if self.steps > MAX_EVAL_STEPS:
            raise Inexact("expression is too expensive to evaluate statically", OutcomeKind.LIMIT)
        budget = BUDGET
        budget.steps += 1
        if budget.steps >= budget.next_check:
            budget.check()


# The types weight() looks into (bool is an int it does not count, but is in here with int: the
# loop below decides).  Any other value weighs 1: most values measured are Opaque references
# (ParamSpec, ClassRef...), each of which went through every test of the loop.
_BRANCH_TYPES = (str, bytes, dict, set, frozenset, list, tuple, int, slice, BoundMethod, ConfigExpr)
_LEAF_TYPES = {}  # type -> not a subclass of one of _BRANCH_TYPES


def weight(value, cap=MAX_SEQ_LEN, strict=True):
    """Roughly the size of repr(value): elements plus characters, counted through
    shared references (repr follows them too).  Raises Inexact above `cap`, so
    every value the evaluator builds stays small enough to print and compare;
    with strict=False it stops counting there instead."""
    kind = type(value)
    leaf = _LEAF_TYPES.get(kind)
    if leaf is None:
        leaf = _LEAF_TYPES[kind] = not issubclass(kind, _BRANCH_TYPES)
    if leaf and cap >= 1:
        return 1  # what the loop below counts for a value none of its branches opens
    total = 0
    stack = [value]
    while stack:
        v = stack.pop()
        total += 1
        if isinstance(v, (str, bytes)):
            total += len(v)
        elif isinstance(v, dict):
            # A hash table entry costs several list slots.
            total += 2 * len(v)
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, (set, frozenset)):
            total += 2 * len(v)
            stack.extend(v)
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, int) and not isinstance(v, bool):
            bits = v.bit_length()
            if bits > MAX_INT_BITS and strict:
                raise Inexact("integer is too large to evaluate statically", OutcomeKind.LIMIT)
            total += bits // 3
        elif isinstance(v, slice):
            stack.extend((v.start, v.stop, v.step))
        elif isinstance(v, BoundMethod):  # `'x' * N .upper` keeps its string
            stack.append(v.obj)
        elif isinstance(v, ConfigExpr):
            stack.extend(v.path)
        if total > cap:
            if not strict:
                return total
            raise Inexact("value is too large to evaluate statically", OutcomeKind.LIMIT)
    return total


def measure(value):
    """weight() of a value that is already there (a literal of a 2 MB file can be over
    MAX_SEQ_LEN): counted up to the flow's budget, never refused here."""
    return weight(value, MAX_FLOW_WEIGHT, strict=False)


def check_size(value):
    """Every value the evaluator builds passes here: bounded alone, and charged to the flow."""
    BUDGET.charge(weight(value))
    return value
