"""Config values read by flow decorators, and Config parsers from the repository evaluated
statically. Every expected value was measured with the real compiler (metaflow-dagster 0.3.7,
PYTHONHASHSEED=0); the flows in __tests__/fixtures/differential (k11-k14) are the same cases."""

import unittest

from mfstatic.outcomes import OutcomeKind
from .support import StaticTestCase

CFG = '{"project": "recsys", "cron": "0 3 * * *", "retries": 2}\n'

DECORATED = '''from metaflow import Config, FlowSpec, config_expr, project, schedule, retry, step


@schedule(cron=config_expr("cfg.cron"))
@project(name=config_expr("cfg.project"))
class AFlow(FlowSpec):
    cfg = Config("cfg", default="cfg.json")

    @retry(times=config_expr("cfg.retries"))
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    AFlow()
'''

PARSED = '''from metaflow import Config, FlowSpec, Parameter, config_expr, retry, step
PARSER_IMPORT


class PFlow(FlowSpec):
    settings = Config("settings", default="settings.kv", parser=PARSER)
    threshold = Parameter("threshold", default=0.8)

    @retry(times=config_expr("settings.retries"))
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    PFlow()
'''

# __tests__/fixtures/differential/kitlib/parsers.py
PARSERS = '''def parse_kv(text):
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(":")
        value = value.strip()
        out[key.strip()] = int(value) if value.isdigit() else value
    return out


def strict_parse(text):
    raise ValueError("strict_parse: unsupported format")


def listing(text):
    return [text]


def counted(text):
    n = 0
    while n < 3:
        n += 1
    return {"n": n}


def into_default(text, out={}):
    out["k"] = 1
    return out
'''

KV = "retries: 2\nproject: churn\nmode: fast\n"


def parsed_flow(parser, imported=True):
    """PARSED with parser=<the function imported from parsers.py>, or its dotted name as a string."""
    if imported:
        return PARSED.replace("PARSER_IMPORT", "from parsers import %s" % parser).replace("parser=PARSER", "parser=" + parser)
    return PARSED.replace("PARSER_IMPORT", "").replace("parser=PARSER", 'parser="parsers.%s"' % parser)


class FlowDecoratorsReadConfigs(StaticTestCase):
    def test_config_expr_in_project_and_schedule(self):
        # Measured: `def recsys_AFlow():`, cron_schedule='0 3 * * *', RetryPolicy(max_retries=2, ...).
        result = self.compiles(DECORATED, job="recsys_AFlow", files={"cfg.json": CFG})
        model = result["jobModel"]
        self.assertEqual(result["jobInexact"], [])
        self.assertEqual(model["job_name"], "recsys_AFlow")
        self.assertEqual(model["schedule"]["cron"], "0 3 * * *")
        self.assertEqual(model["flow_config_value"], {"cfg": {"project": "recsys", "cron": "0 3 * * *", "retries": 2}})

    def test_config_expr_names_a_config_by_its_name_not_its_attribute(self):
        source = DECORATED.replace('cfg = Config("cfg"', 'conf = Config("cfg"').replace('config_expr("cfg.', 'config_expr("conf.')
        result = self.compile(source, files={"cfg.json": CFG})
        self.assertNotEqual(result["job"], "recsys_AFlow")
        self.assertIn("config_expr('conf.project') names no Config of the flow", result["reason"] or "")

    def test_an_unknown_config_value_leaves_the_project_unknown(self):
        source = DECORATED.replace('Config("cfg", default="cfg.json")', 'Config("cfg", default="cfg.json", parser=mystery)') \
                          .replace("from metaflow import", "from somewhere_else import mystery\nfrom metaflow import")
        result = self.compile(source, files={"cfg.json": CFG})
        self.assertFalse(result["exact"])
        self.assertIn("job-name", {e["part"] for e in result["jobInexact"]})


class RepositoryParsers(StaticTestCase):
    FILES = {"parsers.py": PARSERS, "settings.kv": KV}

    def test_a_straight_line_parser_gives_the_value(self):
        # Measured (k12): METAFLOW_FLOW_CONFIG_VALUE {"settings": {"retries": 2, ...}}, max_retries=2.
        result = self.compiles(parsed_flow("parse_kv"), files=self.FILES)
        model = result["jobModel"]
        self.assertEqual(result["jobInexact"], [])
        self.assertEqual(model["flow_config_value"], {"settings": {"retries": 2, "project": "churn", "mode": "fast"}})
        self.assertEqual(model["ops"][0]["retry_policy"], {"max_retries": 2, "delay": 120})
        self.assertEqual(result["configClass"], ["class PFlowConfig(Config):", "    settings: str = 'settings.kv'",
                                                 "    threshold: float = 0.8"])

    def test_a_dotted_name_string_parser(self):
        # _call_parser imports `parsers` and takes parse_kv (measured with k13's "json.loads").
        result = self.compiles(parsed_flow("parse_kv", imported=False), files=self.FILES)
        self.assertEqual(result["jobModel"]["flow_config_value"]["settings"]["project"], "churn")

    def test_json_loads_named_by_a_string(self):
        source = PARSED.replace("PARSER_IMPORT", "").replace("parser=PARSER", 'parser="json.loads"') \
                       .replace("settings.kv", "settings.json")
        result = self.compiles(source, files={"settings.json": '{"retries": 1}'})
        self.assertEqual(result["jobModel"]["flow_config_value"], {"settings": {"retries": 1}})

    def test_a_parser_that_raises_is_the_refusal(self):
        # Measured (k14): the traceback's last line.
        result = self.refused(parsed_flow("strict_parse").replace(
            '    @retry(times=config_expr("settings.retries"))\n', ""), files=self.FILES,
            error="ValueError: strict_parse: unsupported format")
        self.assertEqual(result["error"], "ValueError: strict_parse: unsupported format")
        self.assertTrue(result["exact"])

    def test_a_parser_returning_no_mapping_is_not_exact(self):
        # Measured: "ValueError: Parser <function listing at 0x7f...> returned a value that is not a
        # mapping ...": a memory address, never reproduced.
        self.inexact(parsed_flow("listing"), OutcomeKind.CONFIG, "not a mapping", files=self.FILES)

    def test_a_parser_with_a_while_loop_is_not_exact(self):
        # Measured: it compiles with {"cfg": {"n": 3}}; the evaluator does not run `while`.
        self.inexact(parsed_flow("counted"), OutcomeKind.CONFIG,
                     "Config 'settings' has parser=counted, which runs while compiling", files=self.FILES)

    def test_a_parser_mutating_what_it_did_not_build_is_not_exact(self):
        result = self.inexact(parsed_flow("into_default"), OutcomeKind.CONFIG, "a container it did not build",
                              files=self.FILES)
        self.assertIn("config-value", {e["part"] for e in result["jobInexact"]})

    def test_a_raise_among_several_configs_is_not_reproduced(self):
        source = parsed_flow("strict_parse").replace(
            '    threshold = Parameter', '    other = Config("other", default_value={"a": 1})\n    threshold = Parameter')
        self.inexact(source, OutcomeKind.NOT_REPRODUCED, "a Config parser raises while compiling", files=self.FILES)


if __name__ == "__main__":
    unittest.main()
