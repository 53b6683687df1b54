"""Who may do what on a shared server: roles from a small file, a guarded workspace whose every
change to the knowledge base or a deal checks the role and is written to the audit log, safe
server paths, and the rule that a server reachable from other machines needs sign-in.

The shell over ``service``: may import every layer below it (``ingest`` and ``deals`` too).
"""
