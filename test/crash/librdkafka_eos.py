"""Exactly-once consume-transform-produce job for the broker crash test: librdkafka (confluent-kafka)
reads <in-topic> in group <group> (read_committed), writes "<value>!" to <out-topic> and commits the
input offsets with send_offsets_to_transaction, one transaction per poll batch, until the group's
committed offset reaches <count>. It rides out broker kills: an abortable error aborts the
transaction and rewinds to the committed offsets; a fatal one (fenced, or a coordinator that lost
the transaction) starts a new producer and consumer. Prints "progress <committed>" after each commit
and "done <committed> <transactions> <aborts> <restarts>" at the end. With <abort-every> N > 0 it
also aborts every Nth transaction on purpose (after producing and sending the offsets), so the output
log holds aborted records that a read_committed reader must never see.
Usage: librdkafka_eos.py <bootstrap> <txn-id> <group> <in-topic> <out-topic> <count> [abort-every]
"""

import faulthandler
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

bootstrap, txn_id, group, in_topic, out_topic, count = sys.argv[1:7]
count = int(count)
abort_every = int(sys.argv[7]) if len(sys.argv) > 7 else 0
COMMON = {
    "bootstrap.servers": bootstrap,
    "broker.address.family": "v4",
    "reconnect.backoff.ms": 50,
    "reconnect.backoff.max.ms": 300,
    "topic.metadata.refresh.interval.ms": 1000,
    "log_level": 0,
    # When every known broker is down (the one broker was killed), librdkafka >= 2.10 "re-bootstraps":
    # it decommissions broker 0's handle and learns it again. The group-coordinator cache keeps the
    # decommissioned handle, so send_offsets_to_transaction waits forever for it to come up, past its
    # own timeout (librdkafka issues 5511 and 5456, open; fix proposed in PR 5512). With the rebootstrap
    # off the handle stays and simply reconnects to the restarted broker.
    "metadata.recovery.strategy": "none",
}
# SLUICE_RDKAFKA_DEBUG=eos,protocol,broker prints librdkafka's debug log on stderr, for diagnosis.
if os.environ.get("SLUICE_RDKAFKA_DEBUG"):
    COMMON.update({"debug": os.environ["SLUICE_RDKAFKA_DEBUG"], "log_level": 7})
# Bounds each transactional call, so that a call the client cannot finish surfaces as an error the
# loop handles (abort, or a new producer that fences the old epoch) instead of a stall.
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
    transactions = aborts = restarts = attempts = 0
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
            attempts += 1
            if abort_every and attempts % abort_every == 0:
                p.flush(CALL_TIMEOUT)  # into the log first: an abort would drop records still queued
                p.abort_transaction(CALL_TIMEOUT)
                aborts += 1
                committed = max(rewind(c), 0)
                continue
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
