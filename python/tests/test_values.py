"""Defaults the evaluator computes, and how the Config class renders them."""

from mfstatic.outcomes import OutcomeKind

from .support import StaticTestCase, flow

HEAD = "class MyFlowConfig(Config):"


class ScalarDefaults(StaticTestCase):
    def test_renders_each_scalar_type_with_its_repr(self):
        self.compiles(flow('''
            n = Parameter("n", default=5)
            ratio = Parameter("ratio", default=1.5)
            on = Parameter("on", default=True)
            who = Parameter("who", default="ann")
        '''), config_class=[HEAD, "    n: int = 5", "    on: bool = True", "    ratio: float = 1.5",
                            "    who: str = 'ann'"])

    def test_help_text_becomes_a_comment(self):
        self.compiles(flow('n = Parameter("n", default=1, help="how many")'),
                      config_class=[HEAD, "    n: int = 1  # how many"])

    def test_containers_keep_their_type(self):
        self.compiles(flow('''
            items = Parameter("items", default=[1, 2])
            opts = Parameter("opts", default={"k": (1, 2)})
        '''), config_class=[HEAD, "    items: list = [1, 2]", "    opts: dict = {'k': (1, 2)}"])

    def test_parameters_come_in_sorted_attribute_order(self):
        result = self.compiles(flow('''
            zeta = Parameter("zeta", default=1)
            alpha = Parameter("alpha", default=2)
        '''))
        self.assertEqual(result["configClass"][1:], ["    alpha: int = 2", "    zeta: int = 1"])

    def test_private_attributes_are_dropped(self):
        result = self.compiles(flow('_hidden = Parameter("hidden", default=1)\nshown = Parameter("shown", default=2)'))
        self.assertEqual(result["configClass"], [HEAD, "    shown: int = 2"])
        self.assertEqual(self.parameter(result, "hidden")["dropped"], "attribute starts with '_'")


class Expressions(StaticTestCase):
    def test_module_constants_and_arithmetic(self):
        self.compiles(flow('n = Parameter("n", default=BASE * 2 + 1)', head="BASE = 20"),
                      config_class=[HEAD, "    n: int = 41"])

    def test_fstrings_format_and_percent(self):
        self.compiles(flow('''
            a = Parameter("a", default=f"{ENV}-{3:03d}")
            b = Parameter("b", default="{}/{}".format(ENV, "x"))
            c = Parameter("c", default="%s:%d" % (ENV, 7))
        ''', head='ENV = "prod"'), config_class=[HEAD, "    a: str = 'prod-003'", "    b: str = 'prod/x'",
                                                 "    c: str = 'prod:7'"])

    def test_tuple_unpacking_at_module_level(self):
        self.compiles(flow('y = Parameter("y", default=Y)', head="X, Y = 1, 2"),
                      config_class=[HEAD, "    y: int = 2"])

    def test_json_dumps_and_os_path_join(self):
        self.compiles(flow('''
            j = Parameter("j", default=json.dumps({"a": 1}))
            p = Parameter("p", default=os.path.join("data", "x.csv"))
        '''), config_class=[HEAD, "    j: str = '{\"a\": 1}'", "    p: str = 'data/x.csv'"])

    def test_module_level_function_call(self):
        self.compiles(flow('n = Parameter("n", default=double(4))', head="def double(x):\n    return x * 2"),
                      config_class=[HEAD, "    n: int = 8"])


class NotKnownStatically(StaticTestCase):
    def test_environment_variable(self):
        self.inexact(flow('n = Parameter("n", default=os.environ.get("N", "1"))'),
                     OutcomeKind.ENVIRONMENT, "depends on an environment variable (os.environ.get)")

    def test_set_of_strings_depends_on_the_hash_seed(self):
        self.inexact(flow('s = Parameter("s", default=",".join({"a", "b"}))'),
                     OutcomeKind.ENVIRONMENT, "order depends on PYTHONHASHSEED")

    def test_unsupported_expression(self):
        self.inexact(flow('s = Parameter("s", default=[x for x in "ab" for y in "cd"])'),
                     OutcomeKind.UNSUPPORTED, "comprehension with several `for` clauses")

    def test_undefined_name(self):
        self.inexact(flow('s = Parameter("s", default=MISSING)'),
                     OutcomeKind.UNRESOLVED_NAME, "name 'MISSING' is not defined in flow.py")

    def test_python_error_at_import(self):
        self.inexact(flow('s = Parameter("s", default=int("x"))'),
                     OutcomeKind.PYTHON_ERROR, "int() raises ValueError")

    def test_mutated_module_constant(self):
        self.inexact(flow('s = Parameter("s", default=ITEMS)', head="ITEMS = [1]\nITEMS.append(2)"),
                     OutcomeKind.UNSUPPORTED, "'ITEMS' is modified in place in flow.py")

    def test_an_inexact_parameter_still_lists_the_exact_ones(self):
        result = self.inexact(flow('a = Parameter("a", default=1)\nb = Parameter("b", default=MISSING)'),
                              OutcomeKind.UNRESOLVED_NAME, "parameter 'b':")
        self.assertTrue(self.parameter(result, "a")["exact"])
        b = self.parameter(result, "b")
        self.assertEqual((b["exact"], b["reasonKind"]), (False, "unresolved-name"))
        self.assertIn("<unknown>", "\n".join(result["configClass"]))
