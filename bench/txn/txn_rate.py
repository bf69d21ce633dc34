"""Records/s of one librdkafka producer for <seconds>: idempotent (no transactions), or transactional
committing every <interval-ms>. Prints JSON {records, seconds, transactions}.
Usage: txn_rate.py <bootstrap> <topic> <seconds> idempotent|<interval-ms>
"""
import json
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, seconds, mode = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
conf = {"bootstrap.servers": bootstrap, "broker.address.family": "v4", "linger.ms": 5,
        "enable.idempotence": True, "queue.buffering.max.messages": 200000}
transactional = mode != "idempotent"
if transactional:
    conf["transactional.id"] = f"bench-{topic}"
p = Producer(conf)
value = b"x" * 100
delivered = 0


def on_delivery(err, _msg):
    global delivered
    if err is None:
        delivered += 1


if transactional:
    p.init_transactions(30)
interval = float(mode) / 1000 if transactional else None
start = time.time()
transactions = 0
while time.time() - start < seconds:
    if transactional:
        p.begin_transaction()
    window_end = time.time() + (interval or 0.05)
    while time.time() < window_end:
        try:
            p.produce(topic, value=value, partition=0, on_delivery=on_delivery)
        except BufferError:
            p.poll(0.005)
        p.poll(0)
    if transactional:
        p.commit_transaction(30)
        transactions += 1
p.flush(30)
elapsed = time.time() - start
print(json.dumps({"records": delivered, "seconds": elapsed, "transactions": transactions}))
