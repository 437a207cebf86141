"""Estimates live with the playbook (users override them there); re-exported here."""

from orchestrator.config.estimates import Estimates

__all__ = ["Estimates"]
