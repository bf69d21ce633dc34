"""Sends the oldest group-offset requests with kafka-python's own protocol classes (its consumer no longer
uses them): OffsetCommit v0 and v1, OffsetFetch v0.

usage: kafka_python_old_requests.py <bootstrap> <prefix>
"""
import sys
import time
from kafka.client_async import KafkaClient
from kafka.protocol.commit import OffsetCommitRequest, OffsetFetchRequest

bootstrap, prefix = sys.argv[1], sys.argv[2]
topic, group = prefix + '-t', prefix + '-g'
client = KafkaClient(bootstrap_servers=bootstrap, api_version=(0, 10, 0))
deadline = time.time() + 10
node = None
while time.time() < deadline:
    node = client.least_loaded_node()
    if node is not None and client.ready(node):
        break
    client.poll(timeout_ms=100)
for request in [
    OffsetCommitRequest[0](group, [(topic, [(0, 1, 'golden')])]),
    OffsetCommitRequest[1](group, -1, '', [(topic, [(0, 2, -1, 'golden')])]),
    OffsetFetchRequest[0](group, [(topic, [0])]),
]:
    future = client.send(node, request)
    client.poll(future=future, timeout_ms=5000)
    print(type(request).__name__, future.value if future.succeeded() else future.exception)
client.close()
