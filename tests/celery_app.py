# SPDX-License-Identifier: GPL-3.0-or-later
# The tiny Celery app the `celery` tests run real workers on (`-A celery_app`). The broker comes
# from CELERY_BROKER_URL, which the tests set to the redis-server they started.
import os
import time

from celery import Celery

app = Celery("celery_app", broker=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
# Pool restarts on, so that pool_restart can be tested; a worker started with
# POOLSCOPE_TEST_POOL_RESTARTS=0 refuses them ("Pool restarts not enabled").
app.conf.worker_pool_restarts = os.environ.get("POOLSCOPE_TEST_POOL_RESTARTS", "1") == "1"
# A worker started with CELERY_KEYPREFIX uses kombu's global_keyprefix transport option: every
# key and channel it uses on the broker starts with it.
if os.environ.get("CELERY_KEYPREFIX"):
    app.conf.broker_transport_options = {"global_keyprefix": os.environ["CELERY_KEYPREFIX"]}
app.conf.worker_send_task_events = True
app.conf.task_send_sent_event = True
app.conf.broker_connection_retry_on_startup = True


@app.task(name="celery_app.add")
def add(x, y):
    return x + y


@app.task(name="celery_app.sleep")
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name="celery_app.fail")
def fail(message):
    raise ValueError(message)


@app.task(name="celery_app.retry_once", bind=True, max_retries=1, default_retry_delay=0.2)
def retry_once(self, marker):
    if self.request.retries == 0:
        raise self.retry(exc=RuntimeError("first attempt of " + marker))
    return marker


if __name__ == "__main__":
    # `python3 celery_app.py send URL N`: a load of N mixed tasks, for screenshots and benches.
    import sys

    app.conf.broker_url = sys.argv[2]
    for i in range(int(sys.argv[3])):
        if i % 10 == 9:
            fail.delay("task %d fails on purpose" % i)
        elif i % 3 == 0:
            sleep.delay(0.2 + (i % 7) * 0.1)
        else:
            add.delay(i, i)
