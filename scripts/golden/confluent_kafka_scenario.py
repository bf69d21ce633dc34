"""Drives confluent-kafka (librdkafka) through the recording proxy: admin, idempotent and transactional
produce with offsets sent to the transaction, a group consumer with commits.

usage: confluent_kafka_scenario.py <bootstrap> <prefix>
Failures are printed, not raised: a refused step still put its request on the wire.
"""
import sys
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions, ConfigResource

bootstrap, prefix = sys.argv[1], sys.argv[2]
topic, group = prefix + '-t', prefix + '-g'
base = {'bootstrap.servers': bootstrap}


def step(name, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        print(f'{name}: {type(e).__name__}: {e}', file=sys.stderr)


def wait(futures):
    for f in (futures.values() if isinstance(futures, dict) else [futures]):
        try:
            f.result(10)
        except Exception as e:  # noqa: BLE001
            print(f'  result: {e}', file=sys.stderr)


a = AdminClient(base)
step('create_topics', lambda: wait(a.create_topics([NewTopic(topic, 2, 1, config={'retention.ms': '600000'})])))
step('describe_configs', lambda: wait(a.describe_configs([ConfigResource('topic', topic)])))
step('alter_configs', lambda: wait(a.alter_configs([ConfigResource('topic', topic, set_config={'retention.ms': '700000'})])))
if hasattr(a, 'incremental_alter_configs'):
    from confluent_kafka.admin import ConfigEntry, AlterConfigOpType
    step('incremental_alter_configs', lambda: wait(a.incremental_alter_configs([ConfigResource('topic', topic, incremental_configs=[
        ConfigEntry('retention.ms', '800000', incremental_operation=AlterConfigOpType.SET)])])))
step('create_partitions', lambda: wait(a.create_partitions([NewPartitions(topic, 3)])))

p = Producer({**base, 'enable.idempotence': True, 'compression.type': 'lz4'})
for i in range(3):
    p.produce(topic, key=b'k%d' % i, value=b'v%d' % i, headers=[('h', b'x')], partition=0)
p.flush(10)

c = Consumer({**base, 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe([topic])
got = 0
for _ in range(40):
    m = c.poll(0.5)
    if m is not None and not m.error():
        got += 1
        c.commit(m, asynchronous=False)
        if got >= 2:
            break
step('committed', lambda: c.committed([TopicPartition(topic, 0)], 5))
step('offsets_for_times', lambda: c.offsets_for_times([TopicPartition(topic, 0, 0)], 5))
step('watermarks', lambda: c.get_watermark_offsets(TopicPartition(topic, 0), 5))

t = Producer({**base, 'transactional.id': prefix + '-txn'})
def txn():
    t.init_transactions(10)
    t.begin_transaction()
    t.produce(topic, key=b'tk', value=b'tv', partition=1)
    t.send_offsets_to_transaction([TopicPartition(topic, 0, 1)], c.consumer_group_metadata(), 10)
    t.commit_transaction(10)
    t.begin_transaction()
    t.produce(topic, key=b'ak', value=b'av', partition=1)
    t.abort_transaction(10)
step('transactions', txn)
c.close()

def optional(name, *args):
    if hasattr(a, name):
        step(name, lambda: wait(getattr(a, name)(*args)))

step('list_groups', lambda: a.list_groups(timeout=5))
optional('list_consumer_groups')
optional('describe_consumer_groups', [group])
if hasattr(a, 'list_consumer_group_offsets'):
    from confluent_kafka import ConsumerGroupTopicPartitions
    optional('list_consumer_group_offsets', [ConsumerGroupTopicPartitions(group)])
if hasattr(a, 'delete_records'):
    optional('delete_records', [TopicPartition(topic, 0, 1)])
if hasattr(a, 'list_offsets'):
    from confluent_kafka import OffsetSpec
    step('list_offsets', lambda: wait(a.list_offsets({TopicPartition(topic, 0): OffsetSpec.latest()})))
if hasattr(a, 'describe_cluster'):
    step('describe_cluster', lambda: a.describe_cluster().result(10))
if hasattr(a, 'describe_topics'):
    from confluent_kafka import TopicCollection
    step('describe_topics', lambda: wait(a.describe_topics(TopicCollection([topic]))))
if hasattr(a, 'describe_acls'):
    from confluent_kafka.admin import AclBindingFilter, ResourceType, ResourcePatternType, AclOperation, AclPermissionType
    f = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY)
    step('describe_acls', lambda: a.describe_acls(f).result(10))
optional('delete_consumer_groups', [group])
step('delete_topics', lambda: wait(a.delete_topics([topic])))
