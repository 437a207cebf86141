pytest_plugins = ["orchestrator.lab.testing"]
