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
    "exit_hook": "@exit_hook is rejected by metaflow-dagster or by its own validation",
}


# Flow decorators that need a virtual environment: their flow_init attaches the step decorator
# to every step and runs its step_init (metaflow/plugins/pypi/conda_decorator.py
# CondaFlowDecorator.flow_init, pypi_decorator.py PyPIFlowDecorator.flow_init), so without
# --environment=conda|pypi the step decorator's message is printed (measured: "@conda decorator
# requires ..." for @conda_base, "@pypi decorator requires ..." for @pypi_base). With the
# environment they change neither the parameters nor the graph; the attached decorator's spec
# and environment id are the compiling machine's (job.py names them per step).
VIRTUAL_ENV_FLOW_DECORATORS = {"conda_base": "conda", "pypi_base": "pypi"}


HARMLESS_STEP_DECORATORS = frozenset(
    ["step", "retry", "resources", "card", "catch", "timeout", "environment", "secrets"]
)


ENV_STEP_DECORATORS = frozenset(["conda", "pypi", "batch", "kubernetes"])


# Step decorators whose flows the job analysis's stages always refuse when the graph is known:
# every @parallel step must be called with num_parallel (lint), a switch cannot be @parallel
# (step_init), and _validate_workflow refuses num_parallel. Without a graph the flow is doubted.
DEFERRED_STEP_DECORATORS = frozenset(["parallel"])


METAFLOW_STEP_DECORATORS = frozenset(
    ["parallel", "pytorch_parallel", "airflow_internal", "argo_workflows_internal",
     "step_functions_internal", "unbounded_test_foreach_internal"]
) | HARMLESS_STEP_DECORATORS | ENV_STEP_DECORATORS


METAFLOW_FLOW_DECORATORS = HARMLESS_FLOW_DECORATORS | frozenset(ENV_FLOW_DECORATORS) \
    | frozenset(VIRTUAL_ENV_FLOW_DECORATORS)


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


# ---------------------------------------------------------------------------------------------
# The job model (what `dagster create` writes beyond the Config class). Observed with metaflow
# 2.19.38 and metaflow-dagster 0.3.7 (the release) / main@af05540; the shared document
# "metaflow-dagster-definitions.md" describes each fact, the corpus in
# __tests__/fixtures/corpus-definitions/ records what the real compiler wrote.
# ---------------------------------------------------------------------------------------------

# The generator profiles: which metaflow-dagster the prediction is for.
GENERATOR_RELEASE = "0.3.7"
GENERATOR_MAIN = "main"
GENERATORS = (GENERATOR_RELEASE, GENERATOR_MAIN)


# Step decorators' `defaults` (metaflow 2.19.38): the order of `attributes`, hence of
# make_decorator_spec()'s `k=v` pairs. None values are left out of a spec.
STEP_DECORATOR_DEFAULTS = {
    "retry": {"times": "3", "minutes_between_retries": "2"},
    "timeout": {"seconds": 0, "minutes": 0, "hours": 0},
    "environment": {"vars": {}},
    "resources": {"cpu": "1", "gpu": None, "disk": None, "memory": "4096", "shared_memory": None},
    "catch": {"var": None, "print_exception": True},
    "secrets": {"sources": [], "role": None, "allow_override": False},
    "card": {"type": "default", "options": {}, "scope": "task", "rank": None, "timeout": 45,
             "id": None, "save_errors": True, "customize": False, "refresh_interval": 5},
    "parallel": {},
}


# Decorators a step may carry more than once (Decorator.allow_multiple).
MULTIPLE_STEP_DECORATORS = frozenset(["card"])


# Step decorators whose forwarded spec carries configuration-derived values (image, namespace,
# python version...) of the compiling machine, and what they need from the top-level options.
MACHINE_STEP_DECORATORS = frozenset(["conda", "pypi", "kubernetes", "batch"])


# metaflow/plugins/pypi: _supported_virtual_envs, and the step_init messages.
VIRTUAL_ENVIRONMENTS = ("conda", "pypi", "fast-bakery")
STEP_DECORATOR_ENVIRONMENT_ERRORS = {
    "conda": "@conda decorator requires --environment=conda or --environment=pypi or --environment=fast-bakery",
    "pypi": "@pypi decorator requires --environment=conda or --environment=pypi or --environment=fast-bakery",
}
STEP_DECORATOR_DATASTORES = {
    "kubernetes": (("s3", "azure", "gs"),
                   "The @kubernetes decorator requires --datastore=s3 or --datastore=azure or --datastore=gs at the moment."),
    "batch": (("s3",), "The @batch decorator requires --datastore=s3."),
}


# metaflow_config.MAX_ATTEMPTS (default 6): @retry(times) + 2 must not exceed it.
MAX_ATTEMPTS = 6


# The step_init and _validate_workflow messages (metaflow's echo drops the *emphasis*).
RETRY_LIMIT_ERROR = "The maximum number of retries is @retry(times=%d)." % (MAX_ATTEMPTS - 2)
TIMEOUT_ZERO_ERROR = "Specify a duration for @timeout."
# Step decorators' step_init checks of the step's node type: {decorator: {node type: message % step}}
# (metaflow/plugins/catch_decorator.py, parallel_decorator.py; measured with both generators).
STEP_TYPE_ERRORS = {
    "catch": {"foreach": "@catch is defined for the step %s but @catch is not supported in foreach split steps.",
              "split-switch": "@catch is defined for the step %s but @catch is not supported in conditional "
                              "switch steps."},
    "parallel": {"split-switch": "A @parallel step can not be a conditional switch step. Please add a join step "
                                 "after %s"},
}
PARALLEL_ERROR = "Deploying flows with @parallel decorator to Dagster is not supported."
EXIT_HOOK_ERROR = "@exit_hook is not supported with Dagster deployments."
SLURM_ERROR = "Step %s uses @slurm which is not supported with Dagster."


# metaflow/lint.py check_reserved_words.
RESERVED_STEP_NAMES = frozenset(["name", "next", "input", "index", "cmd"])


# DagsterCompiler._SKIP_WITH_DECORATORS (main only: 0.3.7 forwards none of the step's own
# decorators in STEP_WITH_DECORATORS, only the resources hint).
SKIP_WITH_DECORATORS = frozenset(["retry", "timeout", "environment", "resources", "project",
                                  "trigger", "trigger_on_finish", "schedule", "card"])


# DagsterCompiler._SCHEDULE_CRON, in the order the compiler tries them (`daily` defaults to True).
SCHEDULE_CRONS = (("daily", "0 0 * * *"), ("hourly", "0 * * * *"), ("weekly", "0 0 * * 0"))
SCHEDULE_DEFAULTS = {"cron": None, "weekly": False, "daily": True, "timezone": None, "hourly": False}


# The METAFLOW_TOP_ARGS a default configuration writes (metadata, environment, datastore,
# event logger, monitor) and the top-level options that change them.
DEFAULT_TOP_OPTIONS = {"metadata": "local", "environment": "local", "datastore": "local",
                       "event-logger": "nullSidecarLogger", "monitor": "nullSidecarMonitor"}
KNOWN_ENVIRONMENTS = frozenset(["local", "conda", "pypi"])
KNOWN_DATASTORES = frozenset(["local", "s3", "azure", "gs"])
KNOWN_METADATA = frozenset(["local", "service"])
DATASTORE_ROOT_PLACEHOLDER = "<DATASTORE_ROOT>"


# ---------------------------------------------------------------------------------------------
# The flow file's `if __name__ == "__main__":` block. `python flow.py dagster create` runs it, and
# whatever it runs before the flow's own call (`MyFlow()`, after which metaflow's CLI exits) may
# change what the compiler sees: download or write the file an IncludeFile reads, set environment
# variables (METAFLOW_* configuration, values a default reads), change sys.path or the working
# directory. The static compiler does not run it, so only these statements keep a flow exact
# (decided conservatively: anything else, an import included, makes the flow not exact):
#   * `pass`, and expression statements that are constants (a docstring, `...`);
#   * the calls below, with keyword arguments only, among the names listed, whose values are
#     constants or attributes of the called module matching HARMLESS_MAIN_ATTRIBUTE (such as
#     logging.INFO). logging.basicConfig only configures the root logger's level and format:
#     metaflow and metaflow-dagster print their output and errors with click, not logging, and its
#     `filename`, `stream` and `handlers` arguments (which open files) are not allowed.
# ---------------------------------------------------------------------------------------------
HARMLESS_MAIN_CALLS = {
    "logging.basicConfig": frozenset(["level", "format", "datefmt", "style"]),
}
HARMLESS_MAIN_ATTRIBUTE = re.compile(r"^logging\.[A-Z][A-Z_]*$")


# ---------------------------------------------------------------------------------------------
# User step decorators (metaflow 2.19, metaflow/user_decorators/user_step_decorator.py).
# A UserStepDecorator's hooks: `init` runs when the flow is loaded (external_init, with the
# decorator's keyword arguments; positional ones raise "does not allow arguments", keyword ones
# without an `init` in the class raise "used with arguments but does not implement init");
# `pre_step` and `post_step` run only in the task. Measured with the real compiler (metaflow
# 2.19 + metaflow-dagster 0.3.7, __tests__/fixtures/differential/u02_user_decorator_class.py):
# such a decorator appears in neither STEP_WITH_DECORATORS nor STEP_DECORATOR_SPECS (it is held
# in the step's `wrappers`, not its `decorators`). A StepMutator's `mutate`/`pre_mutate` may add
# or remove decorators and is never read as harmless.
# ---------------------------------------------------------------------------------------------
USER_STEP_DECORATOR_HOOKS = ("init", "pre_step", "post_step")


# ---------------------------------------------------------------------------------------------
# A repository-root metaflow_extensions package (metaflow 2.19: metaflow/__init__.py loads each
# ORG/toplevel/mfextinit_*.py's `toplevel` module with load_globals; metaflow/plugins/__init__.py
# adds ORG/plugins/mfextinit_*.py's STEP_DECORATORS_DESC). A StepDecorator's hooks that run only
# in the task (metaflow/decorators.py), never at `dagster create`: a class defining only these
# (besides `name` and `defaults`) cannot change what the compiler writes but its spec. Measured
# with the real compiler (repos/ext_pkg/tracked_flow.py of the differential kit): such a
# decorator is in STEP_DECORATOR_SPECS as make_decorator_spec() ("tracker:project=churn,
# sample_rate=1.0", its defaults in order, overridden by the arguments), not in
# STEP_WITH_DECORATORS.
# ---------------------------------------------------------------------------------------------
STEP_DECORATOR_TASK_HOOKS = frozenset(
    ["task_pre_step", "task_post_step", "task_exception", "task_finished", "task_decorate"]
)
MAX_EXTENSION_ENTRIES = 200  # directory entries read per folder of the extension package
