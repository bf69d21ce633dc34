"""Consumes with a real Python Kafka client as a member of a consumer group, for the groups suites.

usage: groups-client.py <kafka-python|confluent> <bootstrap> <topic> <group> <count>

Reads up to <count> records (or until nothing new arrives for a few seconds), committing each record's
next offset synchronously before moving on, then leaves the group. Prints the records it read as JSON:
[{"partition": p, "offset": o, "value": v}, ...].
"""
import json
import sys
import time

IDLE_SECONDS = 4


def kafka_python(bootstrap, topic, group, count):
    from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition

    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                             enable_auto_commit=False, fetch_max_wait_ms=200, session_timeout_ms=6000,
                             heartbeat_interval_ms=500, max_poll_records=1)
    out = []
    last = time.time()
    while len(out) < count and time.time() - last < IDLE_SECONDS:
        for tp, batch in consumer.poll(timeout_ms=300).items():
            for m in batch:
                if len(out) >= count:
                    break
                out.append({"partition": m.partition, "offset": m.offset, "value": m.value.decode()})
                consumer.commit({TopicPartition(m.topic, m.partition): OffsetAndMetadata(m.offset + 1, "")})
                last = time.time()
    consumer.close(autocommit=False)
    return out


def confluent(bootstrap, topic, group, count):
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "broker.address.family": "v4",
                         "session.timeout.ms": 6000, "fetch.wait.max.ms": 200})
    consumer.subscribe([topic])
    out = []
    last = time.time()
    while len(out) < count and time.time() - last < IDLE_SECONDS:
        m = consumer.poll(0.3)
        if m is None:
            continue
        if m.error():
            raise SystemExit("consume error: %s" % m.error())
        out.append({"partition": m.partition(), "offset": m.offset(), "value": m.value().decode()})
        consumer.commit(message=m, asynchronous=False)
        last = time.time()
    consumer.close()
    return out


def main():
    client, bootstrap, topic, group, count = sys.argv[1:6]
    fn = {"kafka-python": kafka_python, "confluent": confluent}[client]
    print(json.dumps(fn(bootstrap, topic, group, int(count))))


if __name__ == "__main__":
    main()
