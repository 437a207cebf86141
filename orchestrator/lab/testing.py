"""What test suites need from the lab, without depending on a test framework.

``start_lab_cluster(config, folder)`` starts a whole lab (SFTP, SSH, HTTPS) in
``folder``, writes an inventory and a playbook for it, and returns the ``LabCluster``;
``cluster.lab.stop()`` stops it. The project's pytest fixture (``lab_cluster`` in
tests/conftest.py) wraps these; the shipped package never imports pytest.
"""

from __future__ import annotations

from orchestrator.lab.runner import LabCluster, start_lab_cluster

__all__ = ["LabCluster", "start_lab_cluster"]
