"""Drives confluent-kafka's (librdkafka's) transactional producer and read_committed consumer against a broker.

usage: transactions.py produce <bootstrap> <txn-id> <topic> <plan>
       transactions.py consume <bootstrap> <topic> <isolation> <expected> [idle-seconds]
       transactions.py pipe <bootstrap> <txn-id> <group> <in-topic> <out-topic> <count> [abort-first]
       transactions.py fence <bootstrap> <txn-id> <topic>

produce runs the plan, a comma-separated list of "commit:N" and "abort:N" (N records per transaction,
values "<txn-id>-<i>-<outcome>", partition 0), and prints {"ok": true}. consume reads <topic> from the
beginning with isolation.level <isolation> (read_committed or read_uncommitted) until <expected> records
came or nothing came for idle-seconds, and prints the values in order. pipe is consume-transform-produce:
it reads <count> records of <in-topic> in group <group>, writes "<value>!" to <out-topic> and commits the
input offsets with send_offsets_to_transaction in the same transaction; with abort-first=1 it first runs
one such transaction and aborts it (the offsets must not move). fence initialises two producers with one
transactional id and prints the error the first one gets when it then tries to commit.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition


def producer(bootstrap, txn_id):
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id,
                  "broker.address.family": "v4", "transaction.timeout.ms": 60000, "linger.ms": 5})
    p.init_transactions(30)
    return p


def produce(bootstrap, txn_id, topic, plan):
    p = producer(bootstrap, txn_id)
    for t, step in enumerate(plan.split(",")):
        outcome, n = step.split(":")
        p.begin_transaction()
        for i in range(int(n)):
            p.produce(topic, value=f"{txn_id}-{t}.{i}-{outcome}".encode(), partition=0)
        p.flush(30)
        if outcome == "commit":
            p.commit_transaction(30)
        else:
            p.abort_transaction(30)
    return {"ok": True}


def consume(bootstrap, topic, isolation, expected, idle=3.0):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{time.time_ns()}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "isolation.level": isolation, "broker.address.family": "v4"})
    c.subscribe([topic])
    out = []
    last = time.time()
    while len(out) < expected or time.time() - last < idle:
        if time.time() - last > max(idle, 20):
            break
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                continue
            raise KafkaException(m.error())
        out.append(m.value().decode())
        last = time.time()
        if len(out) >= expected and idle == 0:
            break
    c.close()
    return {"values": out}


def pipe(bootstrap, txn_id, group, in_topic, out_topic, count, abort_first):
    p = producer(bootstrap, txn_id)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "isolation.level": "read_committed",
                  "broker.address.family": "v4"})
    c.subscribe([in_topic])
    rounds = [False, True] if abort_first else [True]
    for commit in rounds:
        if not commit:
            pass
        got = []
        deadline = time.time() + 30
        while len(got) < count and time.time() < deadline:
            m = c.poll(0.2)
            if m is None or m.error():
                continue
            got.append(m)
        p.begin_transaction()
        for m in got:
            p.produce(out_topic, value=m.value() + b"!", partition=0)
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
        if commit:
            p.commit_transaction(30)
        else:
            p.abort_transaction(30)
            # The aborted round's records are read again: rewind to the committed offsets.
            committed = c.committed(c.assignment(), 10)
            for tp in committed:
                c.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else 0))
    committed = c.committed(c.assignment(), 10)
    c.close()
    return {"committed": sorted([tp.offset for tp in committed])}


def fence(bootstrap, txn_id, topic):
    first = producer(bootstrap, txn_id)
    first.begin_transaction()
    first.produce(topic, value=b"zombie", partition=0)
    first.flush(30)
    producer(bootstrap, txn_id)  # the second instance fences the first
    try:
        first.commit_transaction(30)
        return {"error": None}
    except KafkaException as e:
        err = e.args[0]
        return {"error": err.name(), "fatal": err.fatal()}


def main(argv):
    cmd, bootstrap = argv[1], argv[2]
    if cmd == "produce":
        result = produce(bootstrap, argv[3], argv[4], argv[5])
    elif cmd == "consume":
        idle = float(argv[6]) if len(argv) > 6 else 3.0
        result = consume(bootstrap, argv[3], argv[4], int(argv[5]), idle)
    elif cmd == "pipe":
        result = pipe(bootstrap, argv[3], argv[4], argv[5], argv[6], int(argv[7]),
                      len(argv) > 8 and argv[8] == "1")
    elif cmd == "fence":
        result = fence(bootstrap, argv[3], argv[4])
    else:
        raise SystemExit(f"unknown command {cmd}; see the usage at the top of {argv[0]}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
