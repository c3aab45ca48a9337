"""gunicorn settings shared by the Procfile and `make run` (command-line flags add to these).

The access log leaves out query strings: signed storage URLs carry their signature there, and
a media URL must never reach a log.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'
