# The production recipe's own variables, with their defaults (README, "Production"); sourced by
# bin/production and deploy/run. The tracker's settings are read by tracker/settings.py.
: "${PROXY_LISTEN:=127.0.0.1:8080}"   # where nginx listens: the address clients use
: "${GUNICORN_LISTEN:=127.0.0.1:8000}"   # where gunicorn listens, behind nginx
: "${WEB_CONCURRENCY:=4}"   # gunicorn's worker processes
: "${RUN_DIR:=$PWD/var}"   # logs, sockets, pid files, nginx's buffers and its rendered config
# Where gunicorn's and the Celery workers' processes write their metrics, for /metrics to add up
# (prometheus_client's multiprocess mode): one folder for all the programs on this machine.
: "${PROMETHEUS_MULTIPROC_DIR:=$RUN_DIR/metrics}"
# A setting of the tracker's that the recipe decides: its nginx appends the address it saw to
# X-Forwarded-For, so the client's address (PUBLIC_RATE counts per address) is the last one.
# 2 where a load balancer in front appends one too.
: "${FORWARDED_FOR_PROXIES:=1}"
export PROXY_LISTEN GUNICORN_LISTEN WEB_CONCURRENCY RUN_DIR PROMETHEUS_MULTIPROC_DIR
export FORWARDED_FOR_PROXIES
