"""Consumes with a real Python Kafka client as a member of a consumer group, for the groups suites.

usage: groups-client.py <kafka-python|confluent> <bootstrap> <topic> <group> <count> [group.instance.id]
       groups-client.py <kafka-python|confluent>-admin <bootstrap> <group>
       groups-client.py <kafka-python|confluent>-cooperative <bootstrap> <topic> <group>

Reads up to <count> records (or until nothing new arrives for a few seconds), committing each record's
next offset synchronously before moving on, then leaves the group. Prints the records it read as JSON:
[{"partition": p, "offset": o, "value": v}, ...].
"""
import json
import sys
import time

# A safety net only: every run names the exact number of records it expects.
IDLE_SECONDS = 15
# Sessions long enough that a member is not expired while the machine is busy (the test broker shares its
# process with the test runner); leaving members send LeaveGroup, so nobody waits for one to end.
SESSION_MS = 10000


def kafka_python(bootstrap, topic, group, count, instance=None):
    from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition

    # group_instance_id (static membership) exists from kafka-python 2.1 on; 2.0 rejects the key.
    static = {"group_instance_id": instance} if instance else {}
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                             enable_auto_commit=False, fetch_max_wait_ms=200, session_timeout_ms=SESSION_MS,
                             heartbeat_interval_ms=500, max_poll_records=1, **static)
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


def confluent(bootstrap, topic, group, count, instance=None):
    from confluent_kafka import Consumer

    config = {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
              "enable.auto.commit": False, "broker.address.family": "v4",
              "session.timeout.ms": SESSION_MS, "fetch.wait.max.ms": 200}
    if instance:
        config["group.instance.id"] = instance
    consumer = Consumer(config)
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


def kafka_python_admin(bootstrap, group):
    """ListGroups, DescribeGroups, OffsetFetch and DeleteGroups through kafka-python's admin client."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    # kafka-python 3 renamed the group calls (list_groups, describe_groups, list_group_offsets, delete_groups)
    # and answers with dicts of the response fields instead of tuples; both are mapped to one shape here.
    if hasattr(admin, "list_groups"):
        listed = sorted([g["group_id"], g["protocol_type"]] for g in admin.list_groups())
        described = [{"group": d["group_id"], "state": d["group_state"], "protocol_type": d["protocol_type"],
                      "protocol": d["protocol_data"],
                      "members": [{"client_id": m["client_id"], "client_host": m["client_host"]}
                                  for m in d["members"]]}
                     for d in admin.describe_groups([group]).values()]
        committed = admin.list_group_offsets(group)[group]
        deleted = sorted([g, err] for g, err in admin.delete_groups(["no-such-group"]).items())
    else:
        listed = sorted([g, t] for g, t in admin.list_consumer_groups())
        described = [{"group": d.group, "state": d.state, "protocol_type": d.protocol_type, "protocol": d.protocol,
                      "members": [{"client_id": m.client_id, "client_host": m.client_host} for m in d.members]}
                     for d in admin.describe_consumer_groups([group])]
        committed = admin.list_consumer_group_offsets(group)
        deleted = [[g, err.__name__ if isinstance(err, type) else type(err).__name__ if err else None]
                   for g, err in admin.delete_consumer_groups(["no-such-group"])]
    offsets = sorted([tp.topic, tp.partition, om.offset] for tp, om in committed.items())
    admin.close()
    return {"listed": listed, "described": described, "offsets": offsets, "deleted": deleted}


def confluent_admin(bootstrap, group):
    """The legacy list_groups call (ListGroups v0 + DescribeGroups v0), and on confluent-kafka 2 the futures-based
    list_consumer_groups, describe_consumer_groups and list_consumer_group_offsets too."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap, "broker.address.family": "v4"})
    groups = admin.list_groups(timeout=10)
    out = {"groups": sorted([{"id": g.id, "state": g.state, "protocol_type": g.protocol_type,
                               "protocol": g.protocol, "members": len(g.members)} for g in groups],
                            key=lambda g: g["id"])}
    if hasattr(admin, "describe_consumer_groups"):
        from confluent_kafka import ConsumerGroupTopicPartitions

        listed = admin.list_consumer_groups(request_timeout=10).result()
        out["listed"] = sorted([g.group_id, str(g.state.name)] for g in listed.valid)
        described = admin.describe_consumer_groups([group], request_timeout=10)[group].result()
        out["described"] = {"group": described.group_id, "state": described.state.name,
                            "assignor": described.partition_assignor,
                            "members": [{"client_id": m.client_id, "host": m.host,
                                         "partitions": sorted([tp.topic, tp.partition]
                                                              for tp in m.assignment.topic_partitions)}
                                        for m in described.members]}
        offsets = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)],
                                                    request_timeout=10)[group].result()
        out["offsets"] = sorted([tp.topic, tp.partition, tp.offset] for tp in offsets.topic_partitions)
    return out


def cooperative(lib, bootstrap, topic, group):
    """Two members with the cooperative-sticky assignor (confluent-kafka, or kafka-python 3): the first owns every
    partition, the second joins and takes some, then leaves. Prints who owned what at each step and what each
    revoke took."""
    revoked = {"c1": [], "c2": []}
    member = confluent_cooperative_member if lib == "confluent" else kafka_python_cooperative_member
    owned = lambda c: sorted(p.partition for p in c.assignment())

    def poll_until(cond, *consumers):
        deadline = time.time() + IDLE_SECONDS
        while not cond() and time.time() < deadline:
            for c in consumers:
                c.poll(0.1) if lib == "confluent" else c.poll(timeout_ms=100)
        return cond()

    c1 = member(bootstrap, topic, group, revoked["c1"])
    poll_until(lambda: len(owned(c1)) > 0, c1)
    out = {"alone": owned(c1)}
    total = len(out["alone"])
    c2 = member(bootstrap, topic, group, revoked["c2"])
    poll_until(lambda: owned(c2) and len(owned(c1)) + len(owned(c2)) == total, c1, c2)
    out.update(with_two=[owned(c1), owned(c2)], c1_revoked_on_join=sorted(revoked["c1"]))
    revoked["c1"].clear()
    c2.close()
    poll_until(lambda: len(owned(c1)) == total, c1)
    out.update(after_leave=owned(c1), c1_revoked_on_leave=sorted(revoked["c1"]), c2_revoked=sorted(revoked["c2"]))
    c1.close()
    return out


def confluent_cooperative_member(bootstrap, topic, group, revoked):
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "partition.assignment.strategy": "cooperative-sticky", "broker.address.family": "v4",
                         "session.timeout.ms": SESSION_MS, "heartbeat.interval.ms": 300, "fetch.wait.max.ms": 100})
    consumer.subscribe([topic], on_revoke=lambda _, parts: revoked.extend(p.partition for p in parts))
    return consumer


def kafka_python_cooperative_member(bootstrap, topic, group, revoked):
    from kafka import ConsumerRebalanceListener, KafkaConsumer
    from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, parts):
            revoked.extend(p.partition for p in parts)

        def on_partitions_assigned(self, parts):
            pass

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                             partition_assignment_strategy=[CooperativeStickyAssignor], enable_auto_commit=False,
                             session_timeout_ms=SESSION_MS, heartbeat_interval_ms=300, fetch_max_wait_ms=100)
    consumer.subscribe([topic], listener=Listener())
    return consumer


def main():
    client = sys.argv[1]
    if client.endswith("-cooperative"):
        print(json.dumps(cooperative(client[: -len("-cooperative")], *sys.argv[2:5])))
        return
    if client.endswith("-admin"):
        fn = {"kafka-python-admin": kafka_python_admin, "confluent-admin": confluent_admin}[client]
        print(json.dumps(fn(sys.argv[2], sys.argv[3])))
        return
    bootstrap, topic, group, count = sys.argv[2:6]
    instance = sys.argv[6] if len(sys.argv) > 6 else None
    fn = {"kafka-python": kafka_python, "confluent": confluent}[client]
    print(json.dumps(fn(bootstrap, topic, group, int(count), instance)))


if __name__ == "__main__":
    main()
