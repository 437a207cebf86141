"""Suite-wide fixtures: the lab cluster (orchestrator.lab.testing)."""

pytest_plugins = ["orchestrator.lab.testing"]
