"""The lab: a simulated CUCM cluster on loopback (SSH admin CLI, SOAP over HTTPS, SFTP).

The engine never imports this package; tests, the demo and benchmarks start it.
"""
