# gunicorn settings for the wallet API, served this way with WALLET_SERVER=gunicorn
# (wallet_api.serve; granian is the default).
# Threaded workers: a request mostly waits on PostgreSQL, and each worker's connection
# pool has as many connections as the worker has threads (WALLET_POOL_MAX_SIZE).
from wallet_api.config import ServerSettings

_server = ServerSettings.from_env()
bind = f"{_server.host}:{_server.port}"
workers = int(_server.workers)
worker_class = "gthread"
threads = int(_server.threads)
timeout = 30  # a worker silent this long is restarted
graceful_timeout = 20
keepalive = 5
accesslog = None  # the app logs one structured line per request itself
errorlog = "-"

# Prometheus metrics from every worker (wallet_api.metrics) go to PROMETHEUS_MULTIPROC_DIR,
# which wallet_api.serve sets and empties before it starts gunicorn; a dead worker's live
# gauges are dropped here.


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# gunicorn's control socket (gunicornc) is not used; off, so that a user without a home
# directory (the Docker image's) starts without an error
control_socket_disable = True
