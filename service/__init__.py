"""The outer shell: the ``skillpass`` command line (and, later, the HTTP service)."""
