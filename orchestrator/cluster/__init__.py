"""Cluster access: what the engine and the audit share to reach one cluster.

``pool.ConnectionPool`` holds the sessions (one CLI session per node, reused) and the
typed SOAP clients; ``snapshot`` reads a node as discovery and the audit both need it,
and matches the names the cluster uses for its nodes. Layering: drivers -> cluster
access -> {engine, audit} -> use cases -> CLI.
"""
