"""SFTP: devpack's own read-only server for the COP files, and the source precheck."""
