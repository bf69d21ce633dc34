"""Producer for the broker crash test: librdkafka (confluent-kafka) with acks=all, no retries and no
idempotence, so a successful delivery report is one record the broker acknowledged at one offset.
Produces batches with many in flight until killed, printing one line per delivered record:
"ack <partition> <offset> <key>". Usage: librdkafka_producer.py <bootstrap> <topic> <round>
"""

import sys

from confluent_kafka import Producer

bootstrap, topic, rnd = sys.argv[1], sys.argv[2], sys.argv[3]
out = sys.stdout


def delivered(err, msg):
    if err is None:
        out.write("ack %d %d %s\n" % (msg.partition(), msg.offset(), msg.key().decode()))
    else:
        out.write("fail %s\n" % err.str())
    out.flush()


producer = Producer(
    {
        "bootstrap.servers": bootstrap,
        "broker.address.family": "v4",
        "acks": "all",
        "enable.idempotence": False,
        "message.send.max.retries": 0,
        "linger.ms": 2,
        "batch.num.messages": 50,
        "message.timeout.ms": 5000,
    }
)

seq = 0
while True:
    key = "r%s-%d" % (rnd, seq)
    try:
        producer.produce(topic, key=key, value=key.ljust(100, "."), on_delivery=delivered)
        seq += 1
    except BufferError:
        producer.poll(0.01)
    if seq % 50 == 0:
        producer.poll(0.001)
