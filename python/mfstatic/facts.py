"""What Metaflow and metaflow-dagster do, as data: the only module an upgrade of either edits.

Each entry says where it was observed (file of the tool, or `dir()` in the version below)."""

import re

# The versions every fact below was observed in (`python flow.py dagster create OUT.py`).
METAFLOW_VERSION = "2.19.38"
METAFLOW_DAGSTER_VERSION = "0.3.7"

# What an IncludeFile's datastore URL shows in place of $METAFLOW_DATASTORE_SYSROOT_LOCAL.
SYSROOT_PLACEHOLDER = "<SYSROOT>"


# metaflow/flowspec.py: FlowSpec._NON_PARAMETERS -- skipped by _get_parameters.
NON_PARAMETERS = frozenset(["cmd", "foreach_stack", "index", "input", "script_name", "name"])


# Public attributes of metaflow.FlowSpec (dir(FlowSpec) in 2.19.38).  A mixin that
# comes after FlowSpec in the MRO cannot override these.
FLOWSPEC_ATTRIBUTES = frozenset(
    ["cmd", "foreach_stack", "index", "input", "merge_artifacts", "next", "script_name"]
)


# metaflow/parameters.py: Parameter.init() reserved_params (+ dash->underscore variants).
_RESERVED_PARAMS = [
    "params", "with", "tag", "namespace", "obj", "tags", "decospecs", "run-id-file",
    "max-num-splits", "max-workers", "max-log-size", "user-namespace", "run-id",
    "task-id", "runner-attribute-file",
]


RESERVED_PARAM_NAMES = frozenset(_RESERVED_PARAMS + [p.replace("-", "_") for p in _RESERVED_PARAMS])


# metaflow_extensions/dagster/plugins/dagster/dagster_cli.py: VALID_NAME_CHARS
VALID_JOB_NAME_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
)


# metaflow/plugins/project_decorator.py
PROJECT_INVALID_RE = re.compile("[^a-z0-9_]")


PROJECT_MAX_LEN = 128


# Positional signatures of the Metaflow constructors (all also take **kwargs).
PARAM_SIGNATURES = {
    "Parameter": ("name", "default", "type", "help", "required", "show_default"),
    "IncludeFile": ("name", "required", "is_text", "encoding", "help", "parser"),
    "Config": ("name", "default", "default_value", "help", "required", "parser", "plain"),
}


# Flow decorators that do not change parameters and do not fail with the
# default configuration (checked with the real compiler).
HARMLESS_FLOW_DECORATORS = frozenset(["project", "schedule", "trigger", "trigger_on_finish"])


# Flow decorators whose effect depends on the deploy environment or that fail.
ENV_FLOW_DECORATORS = {
    "conda_base": "@conda_base requires --environment=conda/pypi (fails by default)",
    "pypi_base": "@pypi_base requires --environment=conda/pypi (fails by default)",
    "exit_hook": "@exit_hook is rejected by metaflow-dagster or by its own validation",
}


HARMLESS_STEP_DECORATORS = frozenset(
    ["step", "retry", "resources", "card", "catch", "timeout", "environment", "secrets"]
)


ENV_STEP_DECORATORS = frozenset(["conda", "pypi", "batch", "kubernetes"])


METAFLOW_STEP_DECORATORS = frozenset(
    ["parallel", "pytorch_parallel", "airflow_internal", "argo_workflows_internal",
     "step_functions_internal", "unbounded_test_foreach_internal"]
) | HARMLESS_STEP_DECORATORS | ENV_STEP_DECORATORS


METAFLOW_FLOW_DECORATORS = HARMLESS_FLOW_DECORATORS | frozenset(ENV_FLOW_DECORATORS)


METAFLOW_OTHER_NAMES = frozenset(
    ["JSONTypeClass", "ConfigValue", "config_expr", "current", "FlowMutator", "StepMutator",
     "user_step_decorator", "UserStepDecorator", "S3", "Flow", "Run", "Step", "Task",
     "DataArtifact", "Metaflow", "namespace", "get_namespace", "default_namespace",
     "Runner", "NBRunner", "Deployer", "NBDeployer", "DeployedFlow", "profile",
     "parallel_map", "parallel_imap_unordered", "USER_SKIP_STEP"]
)


# Names importable from `metaflow` (top level) that this script knows about.
METAFLOW_EXPORTS = (
    frozenset(["FlowSpec", "Parameter", "IncludeFile", "Config", "JSONType"])
    | METAFLOW_STEP_DECORATORS | METAFLOW_FLOW_DECORATORS | METAFLOW_OTHER_NAMES
)


# Every public name of the `metaflow` package in 2.19.38 (dir(metaflow)): importing
# anything else fails (ImportError) in the real compiler.
METAFLOW_TOPLEVEL_NAMES = frozenset("""
Config ConfigValue DataArtifact DeployedFlow Deployer EXT_PKG Flow FlowMutator FlowSpec
IncludeFile JSONType JSONTypeClass Metaflow NBDeployer NBRunner Parameter R Run Runner S3
Step StepMutator Task USER_SKIP_STEP UserStepDecorator airflow_external_task_sensor
airflow_internal airflow_s3_key_sensor argo_workflows_internal batch card cards catch
cli_args client cmd_with_io conda conda_base conda_environment_yml_parser config_expr
current datastore debug decorators default_metadata default_namespace environment
event_logger events exception exit_hook extension_support flowspec get_metadata
get_namespace graph includefile inspect_spin kubernetes meta_files metadata
metadata_provider metaflow_config metaflow_config_funcs metaflow_current
metaflow_environment metaflow_git metaflow_profile metaflow_version mflog monitor
multicore_utils namespace namespaced_event_name os package packaging_sys parallel
parallel_imap_unordered parallel_map parameters plugins profile project pypi pypi_base
pyproject_toml_parser pytorch_parallel requirements_txt_parser resources retry runner
schedule secrets sidecar step step_functions_internal sys system_context tagging_util
timeout tracing trigger trigger_on_finish tuple_util unbounded_foreach
unbounded_test_foreach_internal user_configs user_decorators user_step_decorator util
version yaml_parser
""".split())


# Metaflow submodules that define the same objects.
METAFLOW_SUBMODULE_EXPORTS = {
    "metaflow.flowspec": {"FlowSpec": "FlowSpec"},
    "metaflow.parameters": {"Parameter": "Parameter", "JSONType": "JSONType",
                            "JSONTypeClass": "JSONTypeClass"},
    "metaflow.includefile": {"IncludeFile": "IncludeFile"},
    "metaflow.user_configs.config_parameters": {"Config": "Config",
                                                "ConfigValue": "ConfigValue",
                                                "config_expr": "config_expr"},
    "metaflow.decorators": {"step": "step"},
}


# Real attributes of a metaflow Config object / of a DelayEvaluator: attribute
# access finds these instead of a config key (`cfg.name` is the Config's name).
CONFIG_OBJECT_ATTRIBUTES = frozenset(
    ["IS_CONFIG_PARAMETER", "get", "init", "is_string_type", "items", "keys", "kwargs",
     "load_parameter", "name", "option_kwargs", "parser", "separator", "values"]
)


DELAY_EVALUATOR_ATTRIBUTES = frozenset(["get", "items", "keys", "values"])
