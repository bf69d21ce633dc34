"""Drives a real Python Kafka client against a broker for the compatibility suites.

usage: client.py <kafka-python|confluent> produce <bootstrap> <topic> <partition> [compression]
       client.py <kafka-python|confluent> consume <bootstrap> <topic> <partition> <count>
       client.py <kafka-python|confluent> admin-topics <bootstrap> <topic>

produce reads a JSON list of records from stdin ({key, value, headers: [[k, v]], timestamp}; strings)
and prints the offsets the broker assigned, as JSON. consume assigns the partition without a group
(no commits), seeks to offset 0, reads <count> records and prints them as JSON with their offsets,
timestamps, keys, values and headers. admin-topics creates <topic> (2 partitions, retention.ms=3600000),
creates it again, adds a partition, describes and alters retention.ms, deletes it, and prints what it saw.
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
                         "acks": "all", "linger.ms": 5, "broker.address.family": "v4",
                         "enable.idempotence": True})
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


HOUR, TWO_HOURS = "3600000", "7200000"


def kafka_python_admin_topics(bootstrap, topic):
    from kafka import errors
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    resource = lambda configs=None: ConfigResource(ConfigResourceType.TOPIC, topic, configs=configs)
    out = {}
    # kafka-python 3 takes dicts where 2.0 took NewTopic/NewPartitions objects, and answers describe_configs
    # with a dict of config entries instead of the raw responses.
    v3 = not kafka_python_version().startswith("2.")
    if v3:
        spec = {topic: {"num_partitions": 2, "replication_factor": 1, "configs": {"retention.ms": HOUR}}}
    else:
        from kafka.admin import NewTopic
        spec = [NewTopic(topic, 2, 1, topic_configs={"retention.ms": HOUR})]
    admin.create_topics(spec)
    try:
        admin.create_topics(spec)
        out["again"] = None
    except errors.KafkaError as e:
        out["again"] = type(e).__name__
    if v3:
        admin.create_partitions({topic: 3})
    else:
        from kafka.admin import NewPartitions
        admin.create_partitions({topic: NewPartitions(3)})
    out["partitions"] = len(admin.describe_topics([topic])[0]["partitions"])

    def retention():
        if v3:
            entries = admin.describe_configs([resource()])["topic"][topic]
            return entries["retention.ms"]["value"]
        entries = admin.describe_configs([resource()])[0].resources[0][4]
        return next(e[1] for e in entries if e[0] == "retention.ms")

    out["retention"] = retention()
    admin.alter_configs([resource({"retention.ms": TWO_HOURS})])
    out["altered"] = retention()
    admin.delete_topics([topic])
    out["listed_after_delete"] = topic in admin.list_topics()
    admin.close()
    return out


def kafka_python_version():
    import kafka
    return kafka.__version__


def confluent_admin_topics(bootstrap, topic):
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap, "broker.address.family": "v4"})
    new = lambda: NewTopic(topic, num_partitions=2, replication_factor=1, config={"retention.ms": HOUR})
    out = {}
    admin.create_topics([new()])[topic].result()
    try:
        admin.create_topics([new()])[topic].result()
        out["again"] = None
    except KafkaException as e:
        out["again"] = e.args[0].name()
    admin.create_partitions([NewPartitions(topic, 3)])[topic].result()
    out["partitions"] = len(admin.list_topics(topic, timeout=10).topics[topic].partitions)

    def retention():
        resource = ConfigResource("topic", topic)
        return admin.describe_configs([resource])[resource].result()["retention.ms"].value

    out["retention"] = retention()
    altered = ConfigResource("topic", topic, set_config={"retention.ms": TWO_HOURS})
    admin.alter_configs([altered])[altered].result()
    out["altered"] = retention()
    admin.delete_topics([topic])[topic].result()
    out["listed_after_delete"] = topic in admin.list_topics(timeout=10).topics
    return out


def main():
    lib, action, bootstrap, topic = sys.argv[1:5]
    if action == "admin-topics":
        fn = kafka_python_admin_topics if lib == "kafka-python" else confluent_admin_topics
        print(json.dumps(fn(bootstrap, topic)))
        return
    partition = int(sys.argv[5])
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
