"""A flow without parameters: its definitions file has no Config class."""
from metaflow import FlowSpec, step


class ReportFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ReportFlow()
