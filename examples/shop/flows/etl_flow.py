"""Loads the nightly orders; its parameters come partly from a shared base class."""
from metaflow import Parameter, step

from common.params import WarehouseParams


class EtlFlow(WarehouseParams):
    batch_size = Parameter("batch_size", default=500, help="Rows per insert")

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    EtlFlow()
