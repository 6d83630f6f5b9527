"""Metaflow's graph of a flow, from each step's source alone: metaflow/graph.py (`DAGNode._parse`,
`FlowGraph._traverse_graph`) and the graph checks of metaflow/lint.py, then the shapes
metaflow-dagster derives from it (its topological order per version, foreach chains, compound
ops). Pure: it sees only StepSource objects (name, function syntax tree, decorators' names), never
the flow's code running.

Every walk here is bounded: metaflow's own traversals visit each path (exponential on a hostile
lattice of splits), so they stop after MAX_GRAPH_VISITS and the caller treats the graph as unknown."""

import ast
from collections import deque

from .facts import GENERATOR_RELEASE, RESERVED_STEP_NAMES
from .outcomes import FlowError, Inexact, OutcomeKind

# Work of one path-enumerating walk (metaflow's traversals revisit a step once per path, and each
# visit looks through the path so far): step visits weighted by the length of their path.
MAX_GRAPH_VISITS = 20_000_000


def printed(message):
    """What the real compiler's output ends with for a metaflow exception `message`: its echo drops
    the *emphasis* stars and prints the message line by line, indented; mfdag takes the last
    non-empty line as the compiler's error (lastLine in src/io/dagster-create.ts), and so does
    this."""
    lines = [line.strip() for line in message.replace("*", "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _budget_exceeded():
    return Inexact("the flow's graph has too many paths to walk (more than %d steps of work)" % MAX_GRAPH_VISITS,
                   OutcomeKind.LIMIT)


class StepSource:
    """What metaflow's graph reads of one step: its syntax tree and where it is."""

    def __init__(self, name, fn, file, is_flow_file, parallel_step=False):
        self.name = name
        self.fn = fn
        self.file = file
        self.is_flow_file = is_flow_file  # lines of other files are not the flow file's errorLine
        self.parallel_step = parallel_step


class Node:
    """metaflow.graph.DAGNode: the attributes its linter and metaflow-dagster read."""

    def __init__(self, source):
        self.name = source.name
        self.source = source
        self.func_lineno = source.fn.lineno
        self.parallel_step = source.parallel_step
        self.tail_next_lineno = 0
        self.type = None
        self.out_funcs = []
        self.has_tail_next = False
        self.invalid_tail_next = False
        self.num_args = 0
        self.switch_cases = {}
        self.condition = None
        self.foreach_param = None
        self.num_parallel = 0
        self.parallel_foreach = False
        self._parse(source.fn)
        self.in_funcs = set()
        self.split_parents = []
        self.split_branches = []
        self.matching_join = None

    @property
    def line(self):
        return self.func_lineno if self.source.is_flow_file else None

    @property
    def next_line(self):
        return self.tail_next_lineno if self.source.is_flow_file else None

    def _parse(self, fn):
        self.num_args = len(fn.args.args)
        tail = fn.body[-1]
        if not isinstance(tail, ast.Expr):
            return
        try:
            func = tail.value.func
            if "%s.%s" % (func.value.id, func.attr) != "self.next":
                return
            self.has_tail_next = True
            self.invalid_tail_next = True
            self.tail_next_lineno = tail.lineno
            call = tail.value
            if len(call.args) == 1 and isinstance(call.args[0], ast.Dict) \
                    and any(k.arg == "condition" for k in call.keywords):
                cases = _switch_cases(call.args[0])
                condition = None
                for keyword in call.keywords:
                    if keyword.arg == "condition":
                        value = _literal(keyword.value)
                        if isinstance(value, str):
                            condition = value
                        break
                if cases and condition:
                    self.type = "split-switch"
                    self.condition = condition
                    self.switch_cases = cases
                    self.out_funcs = list(cases.values())
                    self.invalid_tail_next = False
                    return
            else:
                self.out_funcs = [e.attr for e in call.args]
            keywords = dict((k.arg, _literal(k.value)) for k in call.keywords)
            if len(keywords) == 1:
                if "foreach" in keywords:
                    self.type = "foreach"
                    if len(self.out_funcs) == 1:
                        self.foreach_param = keywords["foreach"]
                        self.invalid_tail_next = False
                elif "num_parallel" in keywords:
                    self.type = "foreach"
                    self.parallel_foreach = True
                    if len(self.out_funcs) == 1:
                        self.num_parallel = keywords["num_parallel"]
                        self.invalid_tail_next = False
            elif not keywords:
                if len(self.out_funcs) > 1:
                    self.type = "split"
                    self.invalid_tail_next = False
                elif len(self.out_funcs) == 1:
                    self.type = "join" if self.num_args > 1 else "linear"
                    self.invalid_tail_next = False
        except AttributeError:
            return


def _literal(node):
    return node.value if isinstance(node, ast.Constant) else None


def _switch_cases(node):
    """DAGNode._parse_switch_dict: {case: step}, a later duplicate key replacing an earlier one."""
    cases = {}
    for key, value in zip(node.keys, node.values):
        if isinstance(key, ast.Constant):
            case = key.value
        elif isinstance(key, ast.Attribute) and isinstance(key.value, ast.Attribute) \
                and isinstance(key.value.value, ast.Name) and key.value.value.id == "self":
            case = "config:%s.%s" % (key.value.attr, key.attr)
        else:
            return None
        if case is None:
            return None
        if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "self":
            cases[case] = value.attr
        else:
            return None
    return cases or None


class FlowGraph:
    """metaflow.graph.FlowGraph for the steps named `start` and `end` (the only entry and exit
    metaflow-dagster knows: it looks them up by name)."""

    def __init__(self, sources):
        # dir(flow) order: the linter's `for node in graph` visits steps by sorted name.
        self.nodes = {s.name: Node(s) for s in sorted(sources, key=lambda s: s.name)}
        self.start_step = "start" if "start" in self.nodes else None
        self.end_step = "end" if "end" in self.nodes else None
        if len(self.nodes) == 1:
            (only,) = self.nodes
            self.start_step = self.end_step = only
        if self.start_step and self.start_step == self.end_step:
            self.nodes[self.start_step].type = "end"
        else:
            if self.start_step and self.nodes[self.start_step].type in (None, "linear"):
                self.nodes[self.start_step].type = "start"
            if self.end_step:
                self.nodes[self.end_step].type = "end"
        self._traverse()

    def __getitem__(self, name):
        return self.nodes[name]

    def __contains__(self, name):
        return name in self.nodes

    def __iter__(self):
        return iter(self.nodes.values())

    def _traverse(self):
        """_traverse_graph: a depth-first walk of every path (loops cut), where the last visit of a
        step sets its split parents."""
        if not self.start_step:
            return
        visits = 0
        # Each frame: (node, seen, split_parents, split_branches, add_branch, children iterator).
        stack = [self._enter(self.nodes[self.start_step], [], [], [])]
        while stack:
            node, seen, parents, branches, add_branch, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                continue
            visits += 1 + len(seen)
            if visits > MAX_GRAPH_VISITS:
                raise _budget_exceeded()
            if child in seen or child not in self.nodes:
                continue
            target = self.nodes[child]
            target.in_funcs.add(node.name)
            stack.append(self._enter(target, seen + [child], parents, branches + ([child] if add_branch else [])))
        for node in self.nodes.values():
            node.in_funcs = sorted(node.in_funcs)

    def _enter(self, node, seen, parents, branches):
        add_branch = False
        if node.type in ("split", "foreach"):
            node.split_parents = parents
            node.split_branches = branches
            add_branch = True
            parents = parents + [node.name]
        elif node.type == "split-switch":
            node.split_parents = parents
            node.split_branches = branches
        elif node.type == "join":
            if parents:
                self.nodes[parents[-1]].matching_join = node.name
                node.split_parents = parents
                node.split_branches = branches[:-1]
                parents = parents[:-1]
                branches = branches[:-1]
        else:
            node.split_parents = parents
            node.split_branches = branches
        return (node, seen, parents, branches, add_branch, iter(list(node.out_funcs)))


# -- metaflow/lint.py: the checks that run by default, in their order ------------------------------
class _Lint:
    def __init__(self, graph):
        self.graph = graph

    def fail(self, message, line):
        return FlowError(printed(message), line, OutcomeKind.FLOW_ERROR)

    def run(self):
        """The first check that fails, as the real error, or None. Raises Inexact where the check
        depends on something not modelled."""
        for check in (self.reserved_words, self.basic_steps, self.start_end_degree, self.end_is_end,
                      self.step_names, self.num_args, self.static_transitions, self.valid_transitions,
                      self.unknown_transitions, self.acyclicity, self.orphans, self.split_join_balance,
                      self.switch_splits, self.empty_foreaches, self.parallel_step_after_next,
                      self.join_followed_by_parallel_step, self.parallel_foreach_calls_parallel_step,
                      self.ambiguous_joins):
            error = check()
            if error:
                return error
        return None

    def reserved_words(self):
        for node in self.graph:
            if node.name in RESERVED_STEP_NAMES:
                return self.fail("Step name *%s* is a reserved word. Choose another name for the step." % node.name, node.line)

    def basic_steps(self):
        if self.graph.start_step is None:
            return self.fail("Your flow must have exactly one start step. Either name a step 'start' or use @step(start=True).", None)
        if self.graph.end_step is None:
            return self.fail("Your flow must have exactly one end step. Either name a step 'end' or use @step(end=True).", None)

    def start_end_degree(self):
        start = self.graph[self.graph.start_step]
        if start.in_funcs:
            return self.fail("The start step *%s* has incoming transitions from %s. A start step must have no "
                             "incoming transitions." % (start.name, ", ".join(start.in_funcs)), start.line)
        end = self.graph[self.graph.end_step]
        if end.out_funcs:
            return self.fail("The end step *%s* has outgoing transitions. An end step must have no outgoing "
                             "transitions (no self.next())." % end.name, end.line)

    def end_is_end(self):
        node = self.graph[self.graph.end_step]
        if node.has_tail_next or node.invalid_tail_next:
            return self.fail("The terminal step *%s* should not have a self.next() transition. Just remove it."
                             % node.name, node.next_line)
        if node.num_args > 1:
            return self.fail("The terminal step *%s* should not be a join step (it gets an extra argument). Add a "
                             "join step before it." % node.name, node.next_line)

    def step_names(self):
        for node in self.graph:
            if any(c not in "abcdefghijklmnopqrstuvwxyz0123456789_" for c in node.name) or node.name[0] == "_":
                return self.fail("Step *%s* has an invalid name. Only lowercase ascii characters, underscores, and "
                                 "digits are allowed." % node.name, node.line)

    def num_args(self):
        for node in self.graph:
            if node.num_args > 2:
                return self.fail("Step %s has too many arguments. Normal steps take only 'self' as an argument. "
                                 "Join steps take 'self' and 'inputs'." % node.name, node.line)
            if node.num_args == 2 and node.type != "join":
                return self.fail("Step *%s* is both a join step (it takes an extra argument) and a split step (it "
                                 "transitions to multiple steps). This is not allowed. Add a new step so that split "
                                 "and join become separate steps." % node.name, node.line)
            if node.num_args == 0:
                return self.fail("Step *%s* is missing the 'self' argument." % node.name, node.line)

    def static_transitions(self):
        for node in self.graph:
            if node.type != "end" and not node.has_tail_next:
                return self.fail("Step *%s* is missing a self.next() transition to the next step. Add a self.next() "
                                 "as the last line in the function." % node.name, node.line)

    def valid_transitions(self):
        for node in self.graph:
            if node.type != "end" and node.has_tail_next and node.invalid_tail_next:
                return self.fail(
                    "Step *%s* specifies an invalid self.next() transition. Make sure the self.next() expression "
                    "matches with one of the supported transition types:\n"
                    "  \u2022 Linear: self.next(self.step_name)\n"
                    "  \u2022 Fan-out: self.next(self.step1, self.step2, ...)\n"
                    "  \u2022 Foreach: self.next(self.step, foreach='variable')\n"
                    "  \u2022 Switch: self.next({\"key\": self.step, ...}, condition='variable')\n\n"
                    "For switch statements, keys must be string literals, numbers or config expressions "
                    "(self.config.key_name), not variables." % node.name, node.next_line)

    def unknown_transitions(self):
        for node in self.graph:
            unknown = [n for n in node.out_funcs if n not in self.graph]
            if unknown:
                return self.fail("Step *%s* specifies a self.next() transition to an unknown step, *%s*."
                                 % (node.name, unknown[0]), node.next_line)

    def acyclicity(self):
        visits = 0
        for first in self.graph:
            stack = [(first, [], iter(list(first.out_funcs)))]
            while stack:
                node, seen, children = stack[-1]
                child = next(children, None)
                if child is None:
                    stack.pop()
                    continue
                if node.type == "split-switch" and child == node.name:
                    continue
                visits += 1 + len(seen)
                if visits > MAX_GRAPH_VISITS:
                    raise _budget_exceeded()
                if child in seen:
                    return self.fail("There is a loop in your flow: *%s*. Break the loop by fixing self.next() "
                                     "transitions." % "->".join(seen + [child]), node.next_line)
                target = self.graph[child]
                stack.append((target, seen + [child], iter(list(target.out_funcs))))

    def orphans(self):
        seen = {self.graph.start_step}
        todo = [self.graph[self.graph.start_step]]
        while todo:
            for name in todo.pop().out_funcs:
                if name not in seen:
                    seen.add(name)
                    todo.append(self.graph[name])
        orphans = [n for n in self.graph.nodes if n not in seen]
        if len(orphans) > 1:
            # metaflow names `list(frozenset)[0]`: which one depends on the hash seed.
            raise Inexact("several steps are unreachable from start; which one metaflow names depends on "
                          "PYTHONHASHSEED", OutcomeKind.NOT_REPRODUCED)
        if orphans:
            node = self.graph[orphans[0]]
            return self.fail("Step *%s* is unreachable from the entry step *%s*. Add self.next(%s) in another step "
                             "or remove *%s*." % (node.name, self.graph.start_step, node.name, node.name), node.line)

    def split_join_balance(self):
        graph = self.graph
        visits = [0]

        def parents_of(name):
            node = graph[name]
            return tuple(node.split_parents[:-1]) if node.type == "join" else tuple(node.split_parents)

        # Frames: (node, stack of split roots); an explicit stack in metaflow's visiting order.
        todo = [(graph[graph.start_step], [])]
        while todo:
            node, split_stack = todo.pop()
            visits[0] += 1 + len(split_stack)
            if visits[0] > MAX_GRAPH_VISITS:
                raise _budget_exceeded()
            new_stack = split_stack
            if node.type in ("split", "foreach"):
                new_stack = split_stack + [node.out_funcs]
            elif node.type == "split-switch":
                for name in reversed(node.out_funcs):
                    if name != node.name:
                        todo.append((graph[name], split_stack))
                continue
            elif node.type == "end":
                if split_stack:
                    return self.fail("The terminal step *%s* was reached before a split started at step(s) *%s* "
                                     "were joined. Add a join step before *%s*."
                                     % (graph.end_step, ", ".join(split_stack[-1]), graph.end_step), node.line)
            elif node.type == "join":
                if not split_stack:
                    return self.fail("Step *%s* seems like a join step (it takes an extra input argument) but it is "
                                     "not preceded by a split. Ensure that there is a matching split for every join."
                                     % node.name, node.line)
                roots = split_stack[-1]
                new_stack = split_stack[:-1]
                resolved = []
                for name in node.in_funcs:
                    branches = graph[name].split_branches
                    if not branches:
                        raise Inexact("join %s has a parent outside any split (metaflow fails with an internal "
                                      "error)" % node.name, OutcomeKind.NOT_REPRODUCED)
                    if branches[-1] not in resolved:
                        resolved.append(branches[-1])
                if len(resolved) != len(roots) or set(resolved) ^ set(roots):
                    if len(resolved) > 1:
                        raise Inexact("join %s: metaflow's message lists a set of branches (order depends on "
                                      "PYTHONHASHSEED)" % node.name, OutcomeKind.NOT_REPRODUCED)
                    return self.fail("Step *%s* seems like a join step (it takes an extra input argument) but an "
                                     "incorrect number of steps (*%s*) lead to it. This join was expecting %d incoming "
                                     "paths, starting from split step(s) *%s*."
                                     % (node.name, ", ".join(resolved), len(roots), ", ".join(roots)), node.line)
                if len(set(parents_of(n) for n in node.in_funcs)) > 1:
                    return self.fail("Step *%s* joins steps from unrelated splits. Ensure that there is a matching "
                                     "join for every split." % node.name, node.line)
            for name in reversed(node.out_funcs):
                todo.append((graph[name], new_stack))
        return None

    def switch_splits(self):
        for node in self.graph:
            if node.type == "split-switch" and len(node.out_funcs) < 2:
                return self.fail("Step *%s* is a switch split but defines %d transitions. Switch splits must define "
                                 "at least 2 transitions." % (node.name, len(node.out_funcs)), node.line)

    def empty_foreaches(self):
        for node in self.graph:
            if node.type == "foreach":
                joins = [n for n in node.out_funcs if self.graph[n].type == "join"]
                if joins:
                    return self.fail("Step *%s* is a foreach split that has no children: it is followed immediately "
                                     "by a join step, *%s*. Add at least one step between the split and the join."
                                     % (node.name, joins[0]), node.line)

    def parallel_step_after_next(self):
        for node in self.graph:
            if node.parallel_foreach and not all(self.graph[n].parallel_step for n in node.out_funcs):
                return self.fail("Step *%s* is called as a parallel step with self.next(num_parallel=..) but does "
                                 "not have a @parallel decorator." % node.name, node.line)

    def join_followed_by_parallel_step(self):
        for node in self.graph:
            if node.parallel_step and node.out_funcs and not self.graph[node.out_funcs[0]].type == "join":
                return self.fail("An @parallel step should be followed by a join step. Step *%s* is called after an "
                                 "@parallel step but is not a join step. Please add an extra `inputs` argument to the "
                                 "step." % node.out_funcs[0], node.line)

    def parallel_foreach_calls_parallel_step(self):
        for node in self.graph:
            if node.parallel_step:
                for other in self.graph:
                    if other.out_funcs and node.name in other.out_funcs and not other.parallel_foreach:
                        return self.fail("Step *%s* has a @parallel decorator, but is not called with "
                                         "self.next(num_parallel=...) from step *%s*." % (node.name, other.name),
                                         node.line)

    def ambiguous_joins(self):
        for node in self.graph:
            if node.type == "join":
                bad = [p for p in node.in_funcs if self.graph[p].type == "split-switch"]
                if bad:
                    return self.fail(
                        "A conditional path cannot lead directly to a join step.\n"
                        "In your conditional step(s) %s, one or more of the possible paths transition directly to "
                        "the join step %s.\n"
                        "As a workaround, please introduce an intermediate, unconditional step on that specific path "
                        "before joining." % (", ".join("*%s*" % p for p in bad), "*%s*" % node.name), node.line)


def lint(graph):
    """metaflow's graph checks (`obj.check` before `dagster create`): the first error or None."""
    return _Lint(graph).run()


# -- what metaflow-dagster derives from the graph --------------------------------------------------
class DagsterShapes:
    """DagsterCompiler's view of the graph for one generator version: topological order, foreach
    chains, the steps inside compound ops."""

    def __init__(self, graph, generator):
        self.graph = graph
        self.generator = generator
        self.order = self._topological_order()
        self.chains = self._foreach_chains()
        self.in_compound = self._steps_in_compound()

    def _topological_order(self):
        graph = self.graph
        if self.generator == GENERATOR_RELEASE:
            # 0.3.7: a breadth-first walk from start, each step at its first visit.
            visited, order = set(), []
            queue = deque([graph["start"]])
            while queue:
                node = queue.popleft()
                if node.name in visited:
                    continue
                visited.add(node.name)
                order.append(node)
                for child in node.out_funcs:
                    queue.append(graph[child])
            return order
        # main: Kahn's algorithm over the steps reachable from start; a step in a cycle (a
        # self-looping switch) never reaches in-degree 0 and is dropped with what follows it.
        reachable = {}
        stack = [graph["start"]]
        while stack:
            node = stack.pop()
            if node.name in reachable:
                continue
            reachable[node.name] = node
            for child in node.out_funcs:
                stack.append(graph[child])
        degree = dict.fromkeys(reachable, 0)
        for node in reachable.values():
            for child in node.out_funcs:
                degree[child] += 1
        queue = deque(reachable[name] for name, d in degree.items() if d == 0)
        order = []
        while queue:
            node = queue.popleft()
            order.append(node)
            for child in node.out_funcs:
                degree[child] -= 1
                if degree[child] == 0:
                    queue.append(reachable[child])
        return order

    def _foreach_chains(self):
        body = {}
        for node in self.order:
            if node.type == "foreach" and node.out_funcs:
                body[node.name] = node.out_funcs[0]
        nested = {b for b in body.values() if b in body}
        outermost = [name for name in body if name not in nested]
        split_to_join = {}
        for node in self.order:
            if node.type == "join" and node.split_parents:
                split_to_join[node.split_parents[-1]] = node.name
        chains = {}
        for outer in outermost:
            chain, current = [], outer
            seen = set()
            while current not in seen:
                seen.add(current)
                join = split_to_join.get(current)
                if join is None:
                    break
                chain.append((current, body[current], join))
                if body[current] in body:
                    current = body[current]
                else:
                    break
            if chain:
                chains[outer] = chain
        return chains

    def interior(self, body_name, join_name):
        """_foreach_body_interior_steps: the linear steps from the body up to the join."""
        steps, current, seen = [], body_name, set()
        while current not in seen:
            seen.add(current)
            node = self.graph[current]
            if len(node.out_funcs) != 1:
                break
            steps.append(current)
            if node.out_funcs[0] == join_name:
                break
            current = node.out_funcs[0]
        return steps

    def multibody(self, chain):
        """The interior steps of a single-level foreach rendered as one compound op (main only)."""
        if self.generator == GENERATOR_RELEASE or len(chain) != 1:
            return None
        _, body_name, join_name = chain[0]
        interior = self.interior(body_name, join_name)
        return interior if len(interior) > 1 else None

    def _steps_in_compound(self):
        result = set()
        for chain in self.chains.values():
            if len(chain) > 1:
                result.add(chain[0][1])
                for _, body_name, join_name in chain[1:]:
                    result.add(body_name)
                    result.add(join_name)
            else:
                result.update(self.multibody(chain) or [])
        return result

    def is_foreach_join(self, node):
        parent = node.split_parents[-1] if node.split_parents else None
        return parent is not None and self.graph[parent].type == "foreach"

    def is_condition_merge(self, node):
        if len(node.in_funcs) < 2:
            return False
        common = set(self.graph[node.in_funcs[0]].in_funcs)
        for parent in node.in_funcs[1:]:
            common &= set(self.graph[parent].in_funcs)
        return any(self.graph[p].type == "split-switch" for p in common)
