"""The application's stacks and per-environment configuration."""
