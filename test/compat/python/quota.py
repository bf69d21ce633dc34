"""What kafka-python shows and does against a reject-mode produce quota.

usage: quota.py <bootstrap> <topic> <count> <batch-records>

Sends <count> small records to partition 0 of <topic> with retries allowed, at most <batch-records> per
batch (batch_size in bytes is sized for that), and prints as JSON: how many were delivered, the errors
of those that failed (class names), the producer's own retry warnings (what a user sees in the log), and what flush() raised, if anything.
"""
import json
import logging
import sys


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def main():
    bootstrap, topic, count, per_batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    capture = Capture()
    logging.getLogger("kafka").addHandler(capture)
    from kafka import KafkaProducer

    value = b"x" * 10
    # Room for per_batch records of this size in one batch (record overhead included), no more.
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=50, retries=100,
                             retry_backoff_ms=100, batch_size=per_batch * 20, request_timeout_ms=15000)
    futures = [producer.send(topic, value=value, partition=0) for _ in range(count)]
    flush_error = None
    try:
        producer.flush(60)
    except Exception as e:  # kafka-python 3.0's flush() fails while a split batch is re-sent
        flush_error = f"{type(e).__name__}: {e}"
    delivered, errors = 0, []
    for f in futures:
        try:
            f.get(timeout=60)
            delivered += 1
        except Exception as e:  # the client's own error class is what we report
            errors.append(type(e).__name__)
    producer.close(5)
    retries = [l for l in capture.lines if "retrying" in l]
    print(json.dumps({"flush_error": flush_error, "delivered": delivered, "errors": sorted(set(errors)), "failed": len(errors),
                      "retries": len(retries), "retry_sample": retries[:1]}))


main()
