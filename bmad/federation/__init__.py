"""Federated learning: secure aggregation rounds, the aggregator service and its clients."""
