"""Drives a real Python Kafka client against a broker for the compatibility suites.

usage: client.py <kafka-python|confluent> produce <bootstrap> <topic> <partition> [compression]
       client.py <kafka-python|confluent> consume <bootstrap> <topic> <partition> <count>

produce reads a JSON list of records from stdin ({key, value, headers: [[k, v]], timestamp}; strings)
and prints the offsets the broker assigned, as JSON. consume assigns the partition without a group
(no commits), seeks to offset 0, reads <count> records and prints them as JSON with their offsets,
timestamps, keys, values and headers.
"""
import json
import sys
import time


def kafka_python_produce(bootstrap, topic, partition, records, compression):
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type=compression, acks="all",
                             linger_ms=5, request_timeout_ms=15000)
    futures = [producer.send(topic, key=r["key"].encode(), value=r["value"].encode(),
                             headers=[(k, v.encode()) for k, v in r["headers"]],
                             partition=partition, timestamp_ms=r["timestamp"]) for r in records]
    producer.flush(15)
    offsets = [f.get(timeout=15).offset for f in futures]
    producer.close(5)
    return offsets


def kafka_python_consume(bootstrap, topic, partition, count):
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             consumer_timeout_ms=15000, fetch_max_wait_ms=200)
    tp = TopicPartition(topic, partition)
    consumer.assign([tp])
    consumer.seek(tp, 0)
    out = []
    deadline = time.time() + 20
    while len(out) < count and time.time() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            for m in batch:
                out.append({"partition": m.partition, "offset": m.offset, "timestamp": m.timestamp,
                            "key": m.key.decode() if m.key is not None else None,
                            "value": m.value.decode() if m.value is not None else None,
                            "headers": [[k, v.decode()] for k, v in (m.headers or [])]})
    consumer.close()
    return out


def confluent_produce(bootstrap, topic, partition, records, compression):
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "compression.codec": compression or "none",
                         "acks": "all", "linger.ms": 5, "broker.address.family": "v4"})
    offsets = [None] * len(records)
    errors = []

    def report(i):
        def cb(err, msg):
            if err is not None:
                errors.append(str(err))
            else:
                offsets[i] = msg.offset()
        return cb

    for i, r in enumerate(records):
        producer.produce(topic, key=r["key"].encode(), value=r["value"].encode(), partition=partition,
                         headers=[(k, v.encode()) for k, v in r["headers"]], timestamp=r["timestamp"],
                         on_delivery=report(i))
    remaining = producer.flush(15)
    if errors or remaining:
        raise SystemExit("delivery failed: %s (%d not flushed)" % (errors, remaining))
    return offsets


def confluent_consume(bootstrap, topic, partition, count):
    from confluent_kafka import Consumer, TopicPartition

    # A group.id is mandatory in confluent-kafka's config, but with assign() and no commits the group
    # coordinator is never contacted.
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-no-commits",
                         "enable.auto.commit": False, "enable.auto.offset.store": False,
                         "broker.address.family": "v4", "fetch.wait.max.ms": 200})
    consumer.assign([TopicPartition(topic, partition, 0)])
    out = []
    deadline = time.time() + 20
    while len(out) < count and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is None:
            continue
        if m.error():
            raise SystemExit("consume error: %s" % m.error())
        out.append({"partition": m.partition(), "offset": m.offset(), "timestamp": m.timestamp()[1],
                    "key": m.key().decode() if m.key() is not None else None,
                    "value": m.value().decode() if m.value() is not None else None,
                    "headers": [[k, v.decode()] for k, v in (m.headers() or [])]})
    consumer.close()
    return out


def main():
    lib, action, bootstrap, topic, partition = sys.argv[1:6]
    partition = int(partition)
    if action == "produce":
        records = json.load(sys.stdin)
        compression = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] != "none" else None
        fn = kafka_python_produce if lib == "kafka-python" else confluent_produce
        print(json.dumps(fn(bootstrap, topic, partition, records, compression)))
    elif action == "consume":
        fn = kafka_python_consume if lib == "kafka-python" else confluent_consume
        print(json.dumps(fn(bootstrap, topic, partition, int(sys.argv[6]))))
    else:
        raise SystemExit("unknown action " + action)


if __name__ == "__main__":
    main()
