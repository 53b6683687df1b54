"""Foundations every stage shares: settings, errors, typed records and results, text utilities,
term matching, YAML loading and the knowledge-base conventions. Imports no other subpackage."""
