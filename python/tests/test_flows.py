"""Whole flows: inheritance, imports across modules, IncludeFile, Config, deploy-time functions,
decorators, job names and the errors the real compiler stops with."""

import hashlib

from mfstatic.outcomes import OutcomeKind

from .support import StaticTestCase, flow

HEAD = "class MyFlowConfig(Config):"


class Inheritance(StaticTestCase):
    def test_parameters_of_a_base_class_in_the_same_file(self):
        source = flow('own = Parameter("own", default=1)', bases="Base",
                      head='class Base(FlowSpec):\n    inherited = Parameter("inherited", default="b")')
        self.compiles(source, config_class=[HEAD, "    inherited: str = 'b'", "    own: int = 1"])

    def test_a_subclass_overrides_its_base(self):
        source = flow('x = Parameter("x", default=2)', bases="Base",
                      head='class Base(FlowSpec):\n    x = Parameter("x", default=1)')
        self.compiles(source, config_class=[HEAD, "    x: int = 2"])

    def test_a_mixin_after_flowspec(self):
        source = flow("pass", bases="FlowSpec, Mixin",
                      head='class Mixin:\n    tracked = Parameter("tracked", default=True)')
        self.compiles(source, config_class=[HEAD, "    tracked: bool = True"])

    def test_the_class_run_under_main_is_compiled_when_none_is_named(self):
        result = self.compiles(flow('a = Parameter("a", default=1)', name="Other"))
        self.assertEqual((result["flowClass"], result["job"]), ("Other", "Other"))


class Imports(StaticTestCase):
    def test_base_class_and_constants_from_a_package(self):
        files = {
            "pkg/__init__.py": "",
            "pkg/settings.py": "REGION = 'eu'\n",
            "pkg/base.py": "from metaflow import FlowSpec, Parameter\nfrom .settings import REGION\n\n"
                           "class Base(FlowSpec):\n    region = Parameter('region', default=REGION)\n",
        }
        source = flow('n = Parameter("n", default=1)', bases="Base", head="from pkg.base import Base")
        self.compiles(source, files=files, config_class=[HEAD, "    n: int = 1", "    region: str = 'eu'"])

    def test_a_module_next_to_the_flow_file(self):
        files = {"flows/consts.py": "SIZE = 3\n"}
        source = flow('n = Parameter("n", default=consts.SIZE)', head="import consts")
        self.compiles(source, files=files, flow_file="flows/f.py", config_class=[HEAD, "    n: int = 3"])

    def test_a_name_missing_from_a_repository_module(self):
        files = {"consts.py": "SIZE = 3\n"}
        self.inexact(flow("pass", head="from consts import OTHER"), OutcomeKind.UNRESOLVED_NAME,
                     "cannot import name 'OTHER' from consts (ImportError at import)", files=files)

    def test_a_syntax_error_in_an_imported_module_is_the_real_error(self):
        result = self.refused(flow("pass", head="import broken"), "SyntaxError", kind=OutcomeKind.SYNTAX,
                              files={"broken.py": "def (:\n"})
        self.assertTrue(result["exact"])
        self.assertIsNone(result["errorLine"])  # the error is in another file


class IncludeFiles(StaticTestCase):
    def test_default_renders_as_the_upload_descriptor(self):
        result = self.compiles(flow('data = IncludeFile("data", default="data.txt")'), files={"data.txt": "hello"})
        line = result["configClass"][1]
        self.assertTrue(line.startswith("    data: str = '{\"type\": \"uploader-v2\""), line)
        self.assertIn("local://<SYSROOT>/data/MyFlow/%s" % hashlib.sha1(b"hello").hexdigest(), line)
        self.assertIn('\"size\": 5}', line)

    def test_a_missing_default_file_is_the_real_error(self):
        self.refused(flow('data = IncludeFile("data", default="nope.txt")'),
                     "IncludeFile: could not open file 'nope.txt' for reading")

    def test_a_default_outside_the_repository(self):
        self.inexact(flow('data = IncludeFile("data", default="../../etc/passwd")'), OutcomeKind.IO,
                     "is outside the repository root")


class Configs(StaticTestCase):
    def test_default_value_and_a_parameter_reading_it(self):
        source = flow('''
            cfg = Config("cfg", default_value={"alpha": 3})
            a = Parameter("a", default=cfg.alpha)
        ''')
        self.compiles(source, config_class=[HEAD, "    a: int = 3", "    cfg: dict = {'alpha': 3}"])

    def test_default_file_is_read_and_its_path_rendered(self):
        source = flow("""
            cfg = Config("cfg", default="conf.json")
            k = Parameter("k", default=cfg.k)
        """)
        self.compiles(source, files={"conf.json": '{"k": [1]}'},
                      config_class=[HEAD, "    cfg: str = 'conf.json'", "    k: list = [1]"])

    def test_invalid_json_is_the_real_error(self):
        self.refused(flow('cfg = Config("cfg", default_value="{nope")'),
                     "Error: Bad values passed for configuration options: configuration value for 'cfg' is not valid JSON")

    def test_a_parser_is_not_run(self):
        self.inexact(flow('cfg = Config("cfg", default="c.yaml", parser="yaml.safe_load")'), OutcomeKind.CONFIG,
                     "Config 'cfg' has parser='yaml.safe_load', which runs while compiling", files={"c.yaml": "a: 1"})

    def test_default_and_default_value_together(self):
        self.refused(flow('cfg = Config("cfg", default="c.json", default_value={})'),
                     "you can only specify default or default_value, not both")


class DeployTimeFunctions(StaticTestCase):
    def test_a_lambda_reading_the_flow_name(self):
        self.compiles(flow('who = Parameter("who", default=lambda ctx: ctx.flow_name.lower())'),
                      config_class=[HEAD, "    who: str = 'myflow'"])

    def test_a_wrong_type_for_an_int_parameter_is_the_real_error(self):
        self.refused(flow('n = Parameter("n", type=int, default=lambda ctx: "x")'),
                     "The value returned by the deploy-time function for the parameter n field default has a wrong type")

    def test_reading_the_deploy_environment(self):
        self.inexact(flow('u = Parameter("u", default=lambda ctx: ctx.user_name)'), OutcomeKind.ENVIRONMENT,
                     "reads ctx.user_name, which depends on the deploy environment")

    def test_a_builtin_as_default(self):
        self.inexact(flow('u = Parameter("u", default=dict)'), OutcomeKind.DEPLOY_TIME,
                     "default of 'u' is builtin dict, evaluated at deploy time")


class DecoratorsAndNames(StaticTestCase):
    def test_project_prefixes_the_job_name(self):
        self.compiles(flow('n = Parameter("n", default=1)', decorators='@project(name="shop")'), job="shop_MyFlow")

    def test_job_name_argument(self):
        self.compiles(flow('n = Parameter("n", default=1)'), job="custom_1", job_name="custom_1")

    def test_invalid_job_name_is_the_real_error(self):
        self.refused(flow("pass"), "Job name 'bad name' contains invalid characters", job_name="bad name")

    def test_invalid_project_name_is_the_real_error(self):
        self.refused(flow("pass", decorators='@project(name="Shop")'),
                     "The @project name must contain only lowercase alphanumeric characters")

    def test_unknown_flow_decorator(self):
        self.inexact(flow("pass", head="def mutate(cls):\n    return cls", decorators="@mutate"),
                     OutcomeKind.DECORATOR, "class decorator @mutate on MyFlow is not a known Metaflow flow decorator")

    def test_a_parameter_name_click_cannot_make_an_option_of_is_not_exact(self):
        # Measured with the real compiler: click's TypeError under PYTHONHASHSEED 0 to 6, success under 7.
        for name in ("rate%2C,50%", "two words", "a.b", "a,b", "x/y z", "a/b"):
            self.inexact(flow("r = Parameter(%r, default=1)" % name), OutcomeKind.NOT_REPRODUCED, "click cannot make an option")
        # Dashes and capitals are fine: click makes `max_items`, `maxitems`.
        for name in ("max-items", "MaxItems", "-lead"):
            self.compiles(flow('r = Parameter(%r, default=1)' % name))

    def test_reserved_parameter_name_is_the_real_error(self):
        self.refused(flow('t = Parameter("tags", default="x")'), "Parameter name 'tags' is a reserved word")

    def test_missing_default_is_the_real_error(self):
        result = self.refused(flow('n = Parameter("n")'), "Parameter n does not have a default value")
        self.assertEqual(result["errorLine"], 7)  # the Parameter line


class NoFlow(StaticTestCase):
    def test_no_class_run_under_main(self):
        result = self.refused("from metaflow import FlowSpec\n\nclass A(FlowSpec):\n    pass\n",
                              'no FlowSpec subclass is run under if __name__ == "__main__"', kind=OutcomeKind.NO_FLOW)
        self.assertEqual(result["reasonKind"], "no-flow")

    def test_an_unknown_class(self):
        self.refused(flow("pass"), "class Nope not found in flow.py", kind=OutcomeKind.NO_FLOW, flow_class="Nope")

    def test_scan_finds_the_flow_classes_and_the_main_class(self):
        entry = self.scan(flow("pass", head="class Other(FlowSpec):\n    pass"))
        self.assertEqual([c["name"] for c in entry["flowClasses"]], ["Other", "MyFlow"])
        self.assertEqual((entry["mainClass"], entry["isFlowFile"], entry.get("errorKind")), ("MyFlow", True, None))
