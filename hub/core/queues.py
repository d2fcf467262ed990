"""The broker's queues, named where the CLI can read them without loading Celery.

Deliveries have a queue of their own: behind the sweeps' polls and notifications in one queue,
an agency's delivery task waited its turn while its wake slot kept intake from sending another
(bench/keep_pace.py under load: 243 notifications and 119 polls queued ahead of 10 deliveries).
A worker consumes both unless told otherwise.
"""

DEFAULT_QUEUE = "samad"
DELIVERY_QUEUE = "samad-delivery"
WORKER_QUEUES = f"{DEFAULT_QUEUE},{DELIVERY_QUEUE}"
DELIVERY_TASKS = ("hub.deliver_due", "hub.deliver_referral", "hub.look_up_unconfirmed")
