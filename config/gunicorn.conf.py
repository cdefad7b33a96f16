"""Gunicorn settings for `mgz serve` in production.

The access log is off: gunicorn's access line carries the query string, and
search queries may hold personal data. mgz writes its own access line (method,
path without query, status, duration, request id).
"""

accesslog = None
errorlog = "-"
loglevel = "info"
# Requests are short; anything slower than this is a fault, not work.
timeout = 60
graceful_timeout = 30
forwarded_allow_ips = "127.0.0.1"
