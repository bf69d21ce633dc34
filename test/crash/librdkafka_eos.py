"""Exactly-once consume-transform-produce job for the broker crash test: librdkafka (confluent-kafka)
reads <in-topic> in group <group> (read_committed), writes "<value>!" to <out-topic> and commits the
input offsets with send_offsets_to_transaction, one transaction per poll batch, until the group's
committed offset reaches <count>. It rides out broker kills: an abortable error aborts the
transaction and rewinds to the committed offsets; a fatal one (fenced, or a coordinator that lost
the transaction) starts a new producer and consumer. Prints "progress <committed>" after each commit
and "done <committed> <transactions> <aborts> <restarts>" at the end.
Usage: librdkafka_eos.py <bootstrap> <txn-id> <group> <in-topic> <out-topic> <count>
"""

import faulthandler
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

bootstrap, txn_id, group, in_topic, out_topic, count = sys.argv[1:7]
count = int(count)
COMMON = {
    "bootstrap.servers": bootstrap,
    "broker.address.family": "v4",
    "reconnect.backoff.ms": 50,
    "reconnect.backoff.max.ms": 300,
    "topic.metadata.refresh.interval.ms": 1000,
    "log_level": 0,
}
# After a broker restart librdkafka 2.16 can leave the group coordinator's connection unopened, so
# send_offsets_to_transaction waits out its timeout: keep it short and start over (a new producer
# fences the old epoch and aborts its transaction, which is what exactly-once relies on anyway).
CALL_TIMEOUT = 10


def start():
    p = Producer({**COMMON, "transactional.id": txn_id, "transaction.timeout.ms": 15000, "linger.ms": 5})
    p.init_transactions(30)
    c = Consumer({**COMMON, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "isolation.level": "read_committed"})
    c.assign([TopicPartition(in_topic, 0)])
    return p, c


def rewind(c):
    committed = c.committed([TopicPartition(in_topic, 0)], 30)[0].offset
    c.seek(TopicPartition(in_topic, 0, committed if committed >= 0 else 0))
    return committed


def main():
    faulthandler.dump_traceback_later(40, repeat=True)
    transactions = aborts = restarts = 0
    p, c = start()
    committed = max(rewind(c), 0)
    while committed < count:
        try:
            msgs = [m for m in c.consume(num_messages=50, timeout=0.5) if not m.error()]
            if not msgs:
                continue
            p.begin_transaction()
            for m in msgs:
                p.produce(out_topic, value=m.value() + b"!", partition=0)
            p.send_offsets_to_transaction([TopicPartition(in_topic, 0, msgs[-1].offset() + 1)],
                                          c.consumer_group_metadata(), CALL_TIMEOUT)
            p.commit_transaction(CALL_TIMEOUT)
            transactions += 1
            committed = msgs[-1].offset() + 1
            print(f"progress {committed}", flush=True)
        except KafkaException as e:
            err = e.args[0]
            try:
                if err.txn_requires_abort():
                    p.abort_transaction(CALL_TIMEOUT)
                    aborts += 1
                    committed = max(rewind(c), 0)
                    continue
                if err.retriable():
                    # A commit whose outcome is unknown: retrying it is safe (the coordinator answers a
                    # finished one with success). Rewind in case it turns out aborted.
                    p.commit_transaction(CALL_TIMEOUT)
                    transactions += 1
                    committed = max(rewind(c), 0)
                    continue
            except KafkaException:
                pass
            restarts += 1
            try:
                c.close()
            except Exception:
                pass
            time.sleep(0.5)
            p, c = start()
            committed = max(rewind(c), 0)
    c.close()
    print(f"done {committed} {transactions} {aborts} {restarts}", flush=True)


main()
