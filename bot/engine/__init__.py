"""Flows are data: YAML flows and text catalogs, validated at load, run on `transitions`."""
