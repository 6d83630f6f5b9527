"""Reading source files: each file read, pre-scanned (tokens, f-strings) and parsed at most once."""

import ast
import io
import os
import re
import tokenize
import traceback
import warnings

from .outcomes import CacheFull, FileProblem, OutcomeKind
from .bounds import BUDGET, MAX_FILE_TOKENS, MAX_FSTRING_FIELDS, MAX_FSTRING_WORK, MAX_HELD_TOKENS


TOKEN_RE = re.compile(r"\w+|[^\w\s]|\n", re.ASCII)


# Comments and string literals as Python <= 3.11 tokenizes them (a string ends at the first
# unescaped quote of its kind, even in an f-string's expression; a one-quote string at an
# unescaped line end, where the tokenizer stops with an error, and a three-quote one at the end
# of the file), each in one match: whatever their content, a quote or `#` inside a comment or a
# string never starts anything, so the scan cannot be desynchronized on the versions where the
# cost is quadratic.  (3.12+ f-strings may nest the same quote: the scan then cuts them into
# pieces, which only moves `{` between literals.)  Group `f` is an f-string prefix that starts
# a token: not preceded by an ASCII letter or `_` (those make it the end of a longer name).  A
# non-ASCII letter or a digit before it makes the string counted as an f-string even where
# Python reads a name (`éf"..."`) or a number: an over-count, which is safe.  Every alternative
# starts with a distinct character and each loop's branches are disjoint, so the regex never
# backtracks: one linear pass.
FSTRING_SCAN_RE = re.compile(r"""
    \#[^\r\n]*
  | (?P<f>(?<![A-Za-z_])(?:[fF][rR]?|[rR][fF]))?
    (?: \'\'\'[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*(?:\'\'\'|\Z)
      | \"\"\"[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*(?:\"\"\"|\Z)
      | '[^'\\\r\n]*(?:\\(?:\r\n|[\s\S])[^'\\\r\n]*)*'?
      | "[^"\\\r\n]*(?:\\(?:\r\n|[\s\S])[^"\\\r\n]*)*"?
    )""", re.VERBOSE)

# Group `f`'s prefixes followed by a quote (every string alternative of FSTRING_SCAN_RE starts
# with one), without group `f`'s lookbehind: written to start with a character class, which the
# regex engine finds fast (a leading lookbehind is tried at every position).  A text where no
# match of this is preceded by anything but an ASCII letter or `_` has no match of
# FSTRING_SCAN_RE with group `f`, so fstring_problem finds no work there (most files have no
# f-string).  Only the first character of a match needs the test: a prefix starting later in it
# follows a letter.
FSTRING_PREFIX_RE = re.compile(r"""[fFrR](?:(?<=[fF])[rR]?|(?<=[rR])[fF])['"]""")
NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")


def _may_have_fstring(text):
    for match in FSTRING_PREFIX_RE.finditer(text):
        start = match.start()
        if start == 0 or text[start - 1] not in NAME_CHARS:
            return True
    return False


class SourceFile:
    def __init__(self, path, rel):
        self.path = path  # absolute, real path
        self.rel = rel  # POSIX path relative to root
        self.tree = None
        self.text = None  # decoded source, kept for source segments
        self.problem = None  # FileProblem
        self._lines = None
        self._mentions = {}

    def mentions(self, word):
        """`word in self.text`, searched once: asked per statement and per name lookup, a
        search of the whole text each time made a 2 MB file with many parameters quadratic."""
        found = self._mentions.get(word)
        if found is None:
            found = self._mentions[word] = word in self.text
        return found

    def segment(self, node):
        """ast.get_source_segment(self.text, node), with the text split into lines once
        (the ast module splits the whole file again, character by character, on every call)."""
        if getattr(node, "end_lineno", None) is None or getattr(node, "end_col_offset", None) is None:
            return None
        if self._lines is None:
            # Lines as ast splits them: on \r\n, \r and \n only (not form feeds), ends kept.
            self._lines = LINE_RE.findall(self.text)
        first, last = node.lineno - 1, node.end_lineno - 1
        if first == last:
            return self._lines[first].encode()[node.col_offset:node.end_col_offset].decode()
        return "".join(
            [self._lines[first].encode()[node.col_offset:].decode()]
            + self._lines[first + 1:last]
            + [self._lines[last].encode()[:node.end_col_offset].decode()]
        )


LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _within(path, root):
    if os.name != "nt":
        # Both are real, normalized absolute paths: a prefix test says the same as commonpath,
        # without splitting both paths on every call.
        return path == root or path.startswith(root if root.endswith(os.sep) else root + os.sep)
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:
        return False


def file_tokens(text):
    """What parsing `text` may cost, in tokens (see MAX_FILE_TOKENS): a C-speed count, about
    a sixth of the time the file takes to parse and compile."""
    return TOKEN_RE.subn("", text)[1] + len(text) // 64


def fstring_problem(text):
    """Why Python < 3.12 would take too long to parse the f-strings of `text` (see
    MAX_FSTRING_WORK), or None.  Every `{` counts as a field, `{{` too: in a format spec
    (`f"{a:{{b}}{{b}}}"`) each `{{` does start one.  One match per comment or string: at most
    one per two tokens, and the file is under MAX_FILE_TOKENS."""
    if not _may_have_fstring(text):
        return None
    work = most = most_at = 0
    for match in FSTRING_SCAN_RE.finditer(text):
        if match.group("f") is not None:
            start, end = match.span()
            fields = text.count("{", start, end)
            work += fields * (end - start)
            if fields > most:
                most, most_at = fields, start
    if most > MAX_FSTRING_FIELDS:
        return FileProblem("an f-string has %d replacement fields, over the static compiler's limit "
                           "of %d per f-string: Python before 3.12 parses it in quadratic time"
                           % (most, MAX_FSTRING_FIELDS), text.count("\n", 0, most_at) + 1, kind=OutcomeKind.LIMIT)
    if work > MAX_FSTRING_WORK:
        return FileProblem("the file's f-strings have %d replacement fields x characters, over the "
                           "static compiler's limit of %d per file: Python before 3.12 parses each "
                           "in time (its fields) x (its length)" % (work, MAX_FSTRING_WORK), kind=OutcomeKind.LIMIT)
    return None


class SourceCache:
    def __init__(self, root, max_bytes, realpaths=None):
        self.root = root
        self._root_prefix = root if root.endswith(os.sep) else root + os.sep
        self.max_bytes = max_bytes
        self._files = {}
        # realpath() is a syscall per path component; imports ask for the same paths many times.
        self._real = {} if realpaths is None else realpaths
        self._primed = {}  # real path -> bytes already read (discovery), taken by the next _read
        self.held = 0  # file_tokens() of the cached files that have a tree
        self.held_before = 0  # of those, what earlier flows (or scans) loaded

    def begin(self):
        """A flow (or scan) starts: what the cache holds now belongs to earlier ones."""
        self.held_before = self.held

    def realpath(self, path):
        real = self._real.get(path)
        if real is None:
            head, tail = os.path.split(path)
            if os.name != "nt" and head and head != path and tail not in ("", ".", ".."):
                # The directory's real path is cached (a repo's files share a few directories);
                # then only the last component can be a link. os.path.realpath would lstat every
                # component of every file again.
                candidate = os.path.join(self.realpath(head), tail)
                real = os.path.realpath(candidate) if os.path.islink(candidate) else candidate
            else:
                real = os.path.realpath(path)
            self._real[path] = real
        return real

    def rel(self, path):
        # Both are real, normalized absolute paths: a path under the root is its tail, which is
        # what relpath answers after normalizing both again (a syscall for the working directory
        # and a split of each path per file).
        prefix = self._root_prefix
        if os.name != "nt" and path.startswith(prefix) and len(path) > len(prefix):
            return path[len(prefix):].replace(os.sep, "/")
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def inside(self, path):
        """Real path of `path` if it stays inside root (symlinks resolved), else None."""
        real = self.realpath(path)
        return real if _within(real, self.root) else None

    def load(self, path):
        real = self.realpath(path)
        cached = self._files.get(real)
        if cached is not None:
            return cached
        # Parsing a large file is slow and no evaluator step: a flow that imports many of
        # them is held to its time budget here (nothing is cached before this point).
        BUDGET.check()
        src = SourceFile(real, self.rel(real))
        try:
            text = self._read(real)
            tokens = file_tokens(text)
            if tokens > MAX_FILE_TOKENS:
                # Refused before parsing: parsing it would cost up to ~1 KB per token at once,
                # even if the tree were dropped right after.
                raise FileProblem("file has %d tokens (words, symbols and line breaks; 1 per 64 "
                                  "characters), over the static compiler's limit of %d per file: "
                                  "its syntax tree could take ~%d MB"
                                  % (tokens, MAX_FILE_TOKENS, tokens >> 10), kind=OutcomeKind.LIMIT)
            problem = fstring_problem(text)
            if problem is not None:
                raise problem
            if self.held + tokens > MAX_HELD_TOKENS:
                if self.held_before:
                    raise CacheFull()
                # Everything cached was loaded for this flow: it needs too much on its own.  Not
                # cached, and the flow is never exact (a budget that ran out).
                BUDGET.exhaust("the files it reads have more than %d tokens together, the most "
                               "syntax trees the static compiler holds at once; %s is not parsed"
                               % (MAX_HELD_TOKENS, src.rel))
            src.text, src.tree = text, self._parse(text, real)
            self.held += tokens
        except FileProblem as problem:
            src.problem = problem
        self._files[real] = src
        return src

    def prime(self, path, data):
        """The bytes of `path` (a real path), already read by discovery, under the byte limit:
        the next load takes them instead of reading the file again."""
        if path not in self._files:
            self._primed[path] = data

    def unprime(self, path):
        self._primed.pop(path, None)

    def _read(self, path):
        data = self._primed.pop(path, None)
        if data is None:
            data = self._read_bytes(path)
        return self._decode(data)

    def _read_bytes(self, path):
        try:
            size = os.path.getsize(path)
            if size > self.max_bytes:
                raise FileProblem("file is %d bytes, over the %d-byte limit" % (size, self.max_bytes), kind=OutcomeKind.LIMIT)
            with open(path, "rb") as fh:
                data = fh.read(self.max_bytes + 1)
        except OSError as exc:
            raise FileProblem("cannot read file: %s" % (exc.strerror or exc), kind=OutcomeKind.IO)
        if len(data) > self.max_bytes:
            raise FileProblem("file is over the %d-byte limit" % self.max_bytes, kind=OutcomeKind.LIMIT)
        return data

    def _decode(self, data):
        if b"\x00" in data:
            raise FileProblem("file contains NUL bytes (binary file?)", data[: data.index(b"\x00")].count(b"\n") + 1, kind=OutcomeKind.IO)
        try:
            # UTF-8 unless a PEP 263 coding cookie (or a BOM) says otherwise, like Python.
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                encoding = "utf-8"  # the first lines are not UTF-8: reported below
            else:
                raise FileProblem("invalid encoding declaration: %s" % exc.msg, exc.lineno, kind=OutcomeKind.IO)
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            line = data[: exc.start].count(b"\n") + 1 if isinstance(exc, UnicodeDecodeError) else None
            name = "UTF-8" if encoding in ("utf-8", "utf-8-sig") else encoding
            reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise FileProblem("file is not valid %s: %s" % (name, reason), line, kind=OutcomeKind.IO)
        if text.startswith("\ufeff"):
            text = text[1:]
        return text

    def _parse(self, text, path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings would go to stderr only
            try:
                tree = compile(text, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
                # Also run the compiler proper: Python reports some errors
                # ('return' outside function, ...) only there, before running anything.
                compile(tree, path, "exec", dont_inherit=True)
            except SyntaxError as exc:
                last = traceback.format_exception_only(type(exc), exc)[-1].rstrip("\n")
                raise FileProblem(last, exc.lineno, python_error=True, kind=OutcomeKind.SYNTAX)
            except (RecursionError, MemoryError, ValueError) as exc:
                raise FileProblem("cannot parse file: %s: %s" % (type(exc).__name__, exc), kind=OutcomeKind.LIMIT)
        return tree
