"""Run and audit reports: ``report.json`` (schema in docs/report-schema.md), ``report.md``
and one self-contained ``report.html`` with an SVG timeline of the run."""

from orchestrator.report.schema import SCHEMA_VERSION, Report
from orchestrator.report.service import write, write_audit_report, write_run_report

__all__ = ["SCHEMA_VERSION", "Report", "write", "write_audit_report", "write_run_report"]
