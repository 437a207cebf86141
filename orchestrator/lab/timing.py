"""How long things take in the lab, per profile (seconds)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Timing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login_delay: float = Field(description="TCP connect to first prompt (real 11.5: ~9.5 s)")
    install_seconds: float = Field(description="COP install on a subscriber after download")
    publisher_install_factor: float = Field(
        1.5, description="publisher installs take longer (device XML reload) (inferred)"
    )
    shutdown_seconds: float = Field(description="restart command until the SSH channel closes")
    reboot_down_seconds: float = Field(description="channel closed until SSH answers again")
    service_step_seconds: float = Field(description="gap between services starting after boot")
    service_starting_seconds: float = Field(description="time a service stays STARTING")
    replication_settle_seconds: float = Field(description="DB up until replication is 2")
    service_restart_seconds: float = Field(description="utils service restart, stop to STARTED")
    sftp_unreachable_seconds: float = Field(description="time to fail on an unreachable server")
    command_delay: float = Field(0.0, description="latency of an ordinary CLI command")
    replication_check_shown_seconds: float | None = Field(
        None,
        description="how long runtimestate shows a COMPLETED replication check before it "
        "starts a new one itself (at least the check's own duration; inferred); None: "
        "until `utils dbreplication status` starts one (field transcripts show checks an "
        "hour and months old)",
    )
    cli_minute_seconds: float = Field(
        1.0,
        description="how long one minute of the CLI session timeout lasts (30 minutes by "
        "default, reference 1): 60 in the realistic profile",
    )
    replication_check_seconds: float = Field(
        0.1,
        description="how long the replication status check of `utils dbreplication "
        "runtimestate` runs (IN PROGRESS) before it is COMPLETED (reference 9.4)",
    )


PROFILES: dict[str, Timing] = {
    # tests: every step sub-second
    "fast": Timing(
        login_delay=0.02,
        install_seconds=0.3,
        shutdown_seconds=0.05,
        reboot_down_seconds=0.3,
        service_step_seconds=0.02,
        service_starting_seconds=0.05,
        replication_settle_seconds=0.2,
        service_restart_seconds=0.15,
        sftp_unreachable_seconds=0.2,
    ),
    # the README demo: a 1+3 rollout well under a minute
    "demo": Timing(
        login_delay=0.3,
        install_seconds=2.0,
        shutdown_seconds=0.3,
        reboot_down_seconds=2.5,
        service_step_seconds=0.1,
        service_starting_seconds=0.3,
        replication_settle_seconds=1.5,
        service_restart_seconds=0.8,
        sftp_unreachable_seconds=2.0,
        command_delay=0.02,
        replication_check_seconds=0.5,
        cli_minute_seconds=2.0,
    ),
    # rehearsal: real-world orders of magnitude (reference sections 1, 2, 4)
    "realistic": Timing(
        login_delay=9.5,
        install_seconds=240.0,
        shutdown_seconds=20.0,
        reboot_down_seconds=420.0,
        service_step_seconds=8.0,
        service_starting_seconds=30.0,
        # Cisco budgets 30 minutes (small cluster) to 2 hours for replication (reference 4)
        replication_settle_seconds=1800.0,
        service_restart_seconds=25.0,
        sftp_unreachable_seconds=180.0,
        command_delay=0.5,
        replication_check_seconds=60.0,  # minutes on a large cluster (inferred)
        cli_minute_seconds=60.0,
    ),
}


def timing_for(profile: str, overrides: dict[str, float] | None = None) -> Timing:
    base = PROFILES[profile]
    return base.model_copy(update=overrides or {})
