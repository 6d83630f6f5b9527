"""Trains the recommender. Someone changed the epochs default to 10.5 and forgot to regenerate."""
from metaflow import FlowSpec, Parameter, step


class TrainFlow(FlowSpec):
    epochs = Parameter("epochs", default=10.5, type=float, help="Training epochs")
    learning_rate = Parameter("learning_rate", default=0.001, help="Optimizer step size")
    model = Parameter("model", default="two-tower", help="Model architecture")

    @step
    def start(self):
        self.next(self.train)

    @step
    def train(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    TrainFlow()
