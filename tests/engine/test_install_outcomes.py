"""The install outcomes the engine judges by name are one vocabulary with the SSH
driver's: every word the engine expects from the driver is one the driver can report."""

from __future__ import annotations

from orchestrator.drivers.ssh.upgrade import InstallOutcome as DriverOutcome
from orchestrator.engine.states import ENGINE_INSTALL_OUTCOMES, InstallOutcome


def test_the_engines_install_outcomes_are_the_drivers_words_or_its_own() -> None:
    driver = {str(outcome) for outcome in DriverOutcome}
    from_driver = {str(o) for o in InstallOutcome if o not in ENGINE_INSTALL_OUTCOMES}
    assert from_driver <= driver, from_driver - driver
    assert InstallOutcome.INSTALLED == DriverOutcome.INSTALLED  # compared as words
