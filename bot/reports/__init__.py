"""The programme's evaluation reports: anonymous aggregates, small counts suppressed."""
