"""Import roots: a flow's imports resolve from its own directory, then the import roots in order
(the PYTHONPATH of the real compiler's runs), as `python flow.py` resolves them."""

import json
import os
import tempfile
import shutil

from mfstatic.outcomes import OutcomeKind
from mfstatic.server import RequestError, StaticCompiler, parse_request

from .support import StaticTestCase, flow

HEAD = "class MyFlowConfig(Config):"
SRC_LAYOUT = {
    "src/mypkg/__init__.py": "",
    "src/mypkg/params.py": "DEFAULT_LR = 0.01\n",
}
USES_MYPKG = flow('lr = Parameter("lr", default=DEFAULT_LR)', head="from mypkg.params import DEFAULT_LR")


class ImportRootsTestCase(StaticTestCase):
    import_roots = (".",)

    def compiler(self):
        return StaticCompiler(self.root, self.max_bytes, self.import_roots)


class SrcLayout(ImportRootsTestCase):
    import_roots = (".", "src")

    def test_a_package_under_src_is_imported_from_a_flow_in_another_directory(self):
        self.compiles(USES_MYPKG, files=SRC_LAYOUT, flow_file="flows/train.py", config_class=[HEAD, "    lr: float = 0.01"])

    def test_a_flow_class_whose_base_is_under_src_is_found_by_the_scan(self):
        files = dict(SRC_LAYOUT, **{"src/mypkg/base.py": "from metaflow import FlowSpec\nclass Base(FlowSpec):\n    pass\n"})
        entry = self.scan(flow("pass", bases="Base", head="from mypkg.base import Base"), files=files, flow_file="flows/train.py")
        self.assertEqual(entry["error"], None)
        self.assertEqual([c["name"] for c in entry["flowClasses"]], ["MyFlow"])


class RootOnly(ImportRootsTestCase):
    def test_without_src_as_an_import_root_the_package_is_not_the_repos(self):
        # Not found in the repo: a third-party module, whose value is not known statically.
        self.inexact(USES_MYPKG, OutcomeKind.UNSUPPORTED, "external mypkg.params.DEFAULT_LR",
                     files=SRC_LAYOUT, flow_file="flows/train.py")


class Order(ImportRootsTestCase):
    FILES = {"lib/common.py": "SIZE = 1\n", "src/common.py": "SIZE = 2\n"}
    SOURCE = flow('n = Parameter("n", default=SIZE)', head="from common import SIZE")

    def test_the_first_import_root_that_has_the_module_wins(self):
        self.import_roots = (".", "lib", "src")
        self.compiles(self.SOURCE, files=self.FILES, flow_file="flows/f.py", config_class=[HEAD, "    n: int = 1"])

    def test_in_the_order_given(self):
        self.import_roots = ("src", "lib")
        self.compiles(self.SOURCE, files=self.FILES, flow_file="flows/f.py", config_class=[HEAD, "    n: int = 2"])

    def test_the_flows_own_directory_comes_before_every_import_root(self):
        self.import_roots = ("src", "lib")
        files = dict(self.FILES, **{"flows/common.py": "SIZE = 3\n"})
        self.compiles(self.SOURCE, files=files, flow_file="flows/f.py", config_class=[HEAD, "    n: int = 3"])

    def test_the_root_is_searched_only_when_it_is_an_import_root(self):
        self.import_roots = ("src",)
        files = {"common.py": "SIZE = 4\n"}
        self.inexact(self.SOURCE, OutcomeKind.UNSUPPORTED, "external common.SIZE", files=files, flow_file="flows/f.py")


class OutsideTheRoot(ImportRootsTestCase):
    import_roots = (".", "src")

    def test_an_import_root_that_is_a_symlink_out_of_the_repo_is_not_read(self):
        outside = tempfile.mkdtemp(prefix="mfstatic-outside-")
        self.addCleanup(shutil.rmtree, outside, True)
        os.makedirs(os.path.join(outside, "mypkg"))
        for rel, text in (("mypkg/__init__.py", ""), ("mypkg/params.py", "DEFAULT_LR = 0.5\n")):
            with open(os.path.join(outside, rel), "w") as fh:
                fh.write(text)
        os.symlink(outside, os.path.join(self.root, "src"))
        self.inexact(USES_MYPKG, OutcomeKind.IO, "resolves outside the repository root", flow_file="flows/train.py")


class Request(StaticTestCase):
    def request(self, **fields):
        return parse_request(json.dumps(dict({"root": self.root}, **fields)))

    def test_the_default_is_the_root(self):
        self.assertEqual(self.request()[4], (".",))

    def test_the_given_directories_in_order(self):
        self.assertEqual(self.request(importRoots=["src", ".", "lib/py"])[4], ("src", ".", "lib/py"))

    def test_directories_outside_the_root_and_malformed_lists_are_refused(self):
        for bad in (["../x"], ["src/../../x"], ["/abs"], [], "src", [1], [""], ["x"] * 33):
            with self.subTest(importRoots=bad):
                with self.assertRaises(RequestError):
                    self.request(importRoots=bad)
