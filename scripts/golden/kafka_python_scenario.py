"""Drives kafka-python through the recording proxy: producer, group consumer with commits, admin.

usage: kafka_python_scenario.py <bootstrap> <prefix> [api_version as dotted, e.g. 0.10.2]
With an api_version the client is pinned to that broker version, so it sends the older request versions
(the broker may refuse some: the request bytes are what is recorded). Failures are printed, not raised:
every step that gets its request onto the wire has done its job.
"""
import sys, traceback
from kafka import KafkaProducer, KafkaConsumer, KafkaAdminClient, TopicPartition
from kafka.admin import NewTopic, NewPartitions, ConfigResource, ConfigResourceType

bootstrap, prefix = sys.argv[1], sys.argv[2]
pinned = tuple(int(x) for x in sys.argv[3].split('.')) if len(sys.argv) > 3 else None
common = {'bootstrap_servers': bootstrap, 'request_timeout_ms': 8000}
if pinned:
    common['api_version'] = pinned
topic, group = prefix + '-t', prefix + '-g'


def step(name, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - a refused step still recorded its request
        print(f'{name}: {type(e).__name__}: {e}', file=sys.stderr)


def admin_steps():
    a = KafkaAdminClient(**common)
    step('create_topics', lambda: a.create_topics([NewTopic(topic, 2, 1, topic_configs={'retention.ms': '600000'})]))
    step('describe_configs', lambda: a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)]))
    step('alter_configs', lambda: a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={'retention.ms': '700000'})]))
    step('create_partitions', lambda: a.create_partitions({topic: NewPartitions(3)}))
    step('describe_cluster', lambda: a.describe_cluster())
    step('list_topics', lambda: a.list_topics())
    return a


def produce():
    p = KafkaProducer(**common, compression_type='gzip')
    for i in range(3):
        p.send(topic, key=b'k%d' % i, value=b'v%d' % i, headers=[('h', b'x')] if not pinned or pinned >= (0, 11) else None, partition=0)
    p.flush(10)
    p.close(5)


def consume():
    c = KafkaConsumer(topic, group_id=group, auto_offset_reset='earliest', enable_auto_commit=False,
                      consumer_timeout_ms=6000, **common)
    for m in c:
        c.commit()
        if m.offset >= 1:
            break
    step('end_offsets', lambda: c.end_offsets([TopicPartition(topic, 0)]))
    step('offsets_for_times', lambda: c.offsets_for_times({TopicPartition(topic, 0): 0}))
    c.close()


def group_admin(a):
    step('list_consumer_groups', lambda: a.list_consumer_groups())
    step('describe_consumer_groups', lambda: a.describe_consumer_groups([group]))
    step('list_consumer_group_offsets', lambda: a.list_consumer_group_offsets(group))
    if hasattr(a, 'delete_records'):
        step('delete_records', lambda: a.delete_records({TopicPartition(topic, 0): 1}))
    step('delete_consumer_groups', lambda: a.delete_consumer_groups([group]))
    step('delete_topics', lambda: a.delete_topics([topic]))
    a.close()


admin = None
try:
    admin = admin_steps()
except Exception:
    traceback.print_exc()
step('produce', produce)
step('consume', consume)
if admin:
    group_admin(admin)
