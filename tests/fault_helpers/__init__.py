"""Scripts the fault tests run in separate processes (crashed commits)."""
