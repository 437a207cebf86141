"""TLS as real CUCM nodes present it: which name a node's certificate is checked
against, checking every node's certificate before a run, and `devpack trust`."""
