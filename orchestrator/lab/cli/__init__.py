"""The simulated nodes' platform admin CLI: commands and their output layouts."""
