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
# gunicorn >= 25.1 opens a control socket for `gunicornc` at a per-user default path
# ($HOME/.gunicorn/gunicorn.ctl): mgz is run by the service manager with signals, and
# two instances under one user would fight over that path. (Older versions ignore it.)
control_socket_disable = True
