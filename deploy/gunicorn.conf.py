"""Gunicorn settings for Adal: ``gunicorn -c deploy/gunicorn.conf.py app:app`` from the checkout.

Every number can be changed in /etc/adal/adal.env without editing this file.
"""

import os

from gunicorn.glogging import Logger

#: nginx on the same machine talks to this address; never expose it directly.
bind = os.environ.get("ADAL_WEB_BIND", "127.0.0.1:8000")
#: Two cores: two processes with four threads each. ``flask --app app check`` reads the same
#: variable: more than one worker needs PostgreSQL.
workers = int(os.environ.get("ADAL_WEB_WORKERS", "2"))
threads = int(os.environ.get("ADAL_WEB_THREADS", "4"))
worker_class = "gthread"
#: A request still running after 30 s is stuck (SQLite's busy timeout is 15 s): the worker is replaced.
timeout = int(os.environ.get("ADAL_WEB_TIMEOUT", "30"))
#: On SIGTERM, requests in flight get this long to finish.
graceful_timeout = 20
keepalive = 5
#: Recycle workers now and then so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
#: Off: each worker builds its own app and database pool after the fork (a pool shared across a
#: fork hands one connection to two processes), and a restart picks up new code.
preload_app = False
#: The heartbeat file on tmpfs: a worker's check-in never waits on a slow disk.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - tmpfs, as gunicorn recommends
#: Believe X-Forwarded-* only from nginx on this machine (Adal's ProxyFix, ADAL_PROXY_HOPS=1, reads them).
forwarded_allow_ips = os.environ.get("ADAL_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
#: Client address, request, status, size, and the time taken in milliseconds (%(M)s).
access_log_format = '%({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'


#: The reporting channel's requests (``/report``, see ``concerns.log_rules``) are logged without who asked:
#: no address, forwarded address, browser, referring page or time to the second.
UNRECORDED_ATOMS = ("h", "a", "f", "t", "{x-forwarded-for}i", "{x-real-ip}i", "{user-agent}i", "{referer}i")


class AdalLogger(Logger):
    """Gunicorn's logger, with the reporting channel's access lines emptied of anything about the reporter."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = environ.get("PATH_INFO", "")
        if path == "/report" or path.startswith("/report/"):
            for key in UNRECORDED_ATOMS:
                atoms[key] = "-"
        return atoms


logger_class = AdalLogger
