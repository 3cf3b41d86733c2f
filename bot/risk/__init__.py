"""Risk screening: recorded normalisation, weighted phrase rules from data files, context rules."""
