"""bmad: local-first code intelligence with privacy-preserving federated learning."""

__version__ = "0.1.0"
