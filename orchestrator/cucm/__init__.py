"""Facts about CUCM shared by the drivers, the planner and the lab (no I/O here)."""
