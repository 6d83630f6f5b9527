"""Parameters shared by several flows."""
from metaflow import FlowSpec, Parameter

DEFAULT_REGION = "eu-west-1"


class WarehouseParams(FlowSpec):
    region = Parameter("region", default=DEFAULT_REGION, help="Warehouse region")
    retries = Parameter("retries", default=3, help="Retry budget per query")
