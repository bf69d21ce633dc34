"""Idempotent producer for the broker crash test: librdkafka (confluent-kafka) with
enable.idempotence=true (acks=all, retries on) produces keys k0..k<count-1> to one partition, riding
out a broker kill -9 and restart on the same port. Prints "progress <produced>" now and then (the test
kills the broker after the first) and, after flushing, "done <delivered> <failed> <unflushed>".
Usage: librdkafka_idempotent.py <bootstrap> <topic> <count>
"""

import sys
import time

from confluent_kafka import Producer

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
delivered = 0
failed = 0


def report(err, _msg):
    global delivered, failed
    if err is None:
        delivered += 1
    else:
        failed += 1
        sys.stderr.write("delivery failed: %s\n" % err.str())


producer = Producer(
    {
        "bootstrap.servers": bootstrap,
        "broker.address.family": "v4",
        "enable.idempotence": True,
        "linger.ms": 2,
        "batch.num.messages": 50,
        "message.timeout.ms": 60000,
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 200,
        "log_level": 0,
    }
)

for i in range(count):
    while True:
        try:
            producer.produce(topic, partition=0, key="k%d" % i, value="v%d" % i, on_delivery=report)
            break
        except BufferError:
            producer.poll(0.01)
    if i % 100 == 0:
        producer.poll(0)
    if i % 1000 == 0:
        # Paced a little so that the kill lands while batches are in flight, not after the last one.
        time.sleep(0.002)
    if i % 5000 == 0:
        print("progress %d" % i, flush=True)

unflushed = producer.flush(90)
print("done %d %d %d" % (delivered, failed, unflushed), flush=True)
