"""Past one machine: jobs on Celery workers over a Redis broker, their state in Redis.

`instancegen worker --broker URL` runs `celery_app`'s task; `instancegen serve --broker URL`
and `instancegen batch --broker URL` create jobs in `RedisStore` and send the task. Every
service replica reads the same Redis, so a job created through one is followed through any.
Without `--broker` none of this is imported: the embedded mode (SQLite, threads) needs no
server.
"""
