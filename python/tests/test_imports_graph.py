"""The package's import graph stays one-way: each module imports only modules listed before it
in LAYERS, except the one cycle between the loader and the evaluator (which recurse: a binding is
evaluated, an evaluation looks names up and imports modules).  Only relative imports of the
package itself, and only the standard library otherwise."""

import ast
import os
import sys
import unittest

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mfstatic")
LAYERS = ["facts", "outcomes", "values", "bounds", "sources", "loader", "evaluator",
          "scan", "checks", "graph", "job", "flows", "server"]
CYCLE = {"loader", "evaluator"}


def imports_of(name):
    """(package modules imported relatively, absolute top-level modules) of module `name`."""
    with open(os.path.join(PACKAGE, name + ".py"), encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    relative, absolute = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            if node.level != 1:
                raise AssertionError("%s: import from outside the package" % name)
            if node.module:
                relative.add(node.module.split(".")[0])
            else:
                relative.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            absolute.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            absolute.update(alias.name.split(".")[0] for alias in node.names)
    return relative, absolute


class ImportGraph(unittest.TestCase):
    def test_every_module_is_in_a_layer(self):
        modules = sorted(f[:-3] for f in os.listdir(PACKAGE) if f.endswith(".py") and f != "__init__.py")
        self.assertEqual(modules, sorted(LAYERS))

    def test_modules_import_only_modules_below_them_except_the_named_cycle(self):
        for name in LAYERS:
            relative, _ = imports_of(name)
            for target in relative:
                with self.subTest(module=name, imports=target):
                    self.assertIn(target, LAYERS)
                    below = LAYERS.index(target) < LAYERS.index(name)
                    self.assertTrue(below or {name, target} == CYCLE,
                                    "%s imports %s, which is not below it" % (name, target))

    def test_the_cycle_is_real_and_only_between_loader_and_evaluator(self):
        self.assertIn("evaluator", imports_of("loader")[0])
        self.assertIn("loader", imports_of("evaluator")[0])

    def test_the_package_init_imports_nothing(self):
        self.assertEqual(imports_of("__init__"), (set(), set()))

    @unittest.skipUnless(hasattr(sys, "stdlib_module_names"), "needs Python 3.10+ to list the standard library")
    def test_absolute_imports_are_standard_library_only(self):
        for name in LAYERS:
            _, absolute = imports_of(name)
            self.assertEqual(absolute - set(sys.stdlib_module_names), set(), name)
