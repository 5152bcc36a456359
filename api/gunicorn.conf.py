# gunicorn settings for the wallet API (`gunicorn -c api/gunicorn.conf.py wallet_api.wsgi:app`).
# Threaded workers: a request mostly waits on PostgreSQL, and each worker's connection
# pool has as many connections as the worker has threads (WALLET_POOL_MAX_SIZE).
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30  # a worker silent this long is restarted
graceful_timeout = 20
keepalive = 5
accesslog = None  # the app logs one structured line per request itself
errorlog = "-"
