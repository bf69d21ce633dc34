package dev.sluice.checks;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * End-to-end checks of Apache Kafka's Java client (producer, consumer, Admin) against one bootstrap address.
 *
 * <pre>Checks &lt;bootstrap&gt; &lt;prefix&gt; &lt;check&gt;...</pre>
 *
 * Each check creates its own topics and groups (named from the prefix), asserts records and offsets itself
 * (a failed assertion ends the check with its message), and prints one line on standard output:
 * {@code CHECK {"check":…,"ok":true,"ms":…,"facts":{…}}} or {@code CHECK {"check":…,"ok":false,"error":…}}.
 * The TypeScript suite (test/suites/java-client.ts) asserts on the facts. Several checks share one JVM
 * because starting one costs seconds on a small machine.
 */
public final class Checks {
  private final String bootstrap;
  private final String prefix;

  private Checks(String bootstrap, String prefix) {
    this.bootstrap = bootstrap;
    this.prefix = prefix;
  }

  public static void main(String[] args) {
    if (args.length < 3) {
      System.err.println("usage: Checks <bootstrap> <prefix> <check>...; checks: " + CHECKS);
      System.exit(2);
    }
    Checks checks = new Checks(args[0], args[1]);
    for (String name : Arrays.copyOfRange(args, 2, args.length)) checks.runOne(name);
    System.exit(0);
  }

  private static final List<String> CHECKS =
      List.of(
          "producer-codecs", "producer-large", "producer-keyless-compacted", "producer-transactions", "consumer-assign", "consumer-commit", "group-eager",
          "group-cooperative", "group-static", "admin-topics", "admin-groups", "admin-records",
          "admin-cluster", "group-protocol-consumer");

  private void runOne(String name) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("check", name);
    long start = System.nanoTime();
    try {
      Map<String, Object> facts =
          switch (name) {
            case "producer-codecs" -> producerCodecs();
            case "producer-large" -> producerLarge();
            case "producer-keyless-compacted" -> producerKeylessCompacted();
            case "producer-transactions" -> producerTransactions();
            case "consumer-assign" -> consumerAssign();
            case "consumer-commit" -> consumerCommit();
            case "group-eager" -> groupOfThree("range");
            case "group-cooperative" -> groupOfThree("cooperative-sticky");
            case "group-static" -> groupStatic();
            case "admin-topics" -> adminTopics();
            case "admin-groups" -> adminGroups();
            case "admin-records" -> adminRecords();
            case "admin-cluster" -> adminCluster();
            case "group-protocol-consumer" -> groupProtocolConsumer();
            default -> throw new IllegalArgumentException("unknown check " + name + "; checks: " + CHECKS);
          };
      line.put("ok", true);
      line.put("facts", facts);
    } catch (Throwable e) {
      line.put("ok", false);
      line.put("error", describe(e));
      e.printStackTrace();
    }
    line.put("ms", (System.nanoTime() - start) / 1_000_000);
    System.out.println("CHECK " + Json.write(line));
    System.out.flush();
  }

  // ---------------------------------------------------------------- producer

  private static final List<String> CODECS = List.of("none", "gzip", "snappy", "lz4", "zstd");

  /**
   * One idempotent (Kafka 4's default), acks=all producer per codec writes keyed records with headers and
   * explicit timestamps to one partition; a consumer reads them all back and compares every field and offset.
   */
  private Map<String, Object> producerCodecs() throws Exception {
    String topic = prefix + "-codecs";
    createTopic(topic, 1, Map.of());
    TopicPartition tp = new TopicPartition(topic, 0);
    int perCodec = 40;
    long t0 = System.currentTimeMillis() - 3_600_000;
    List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>();
    Map<String, Object> offsetsByCodec = new LinkedHashMap<>();
    boolean idempotent = false;
    for (String codec : CODECS) {
      Properties p = producerProps();
      p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
      p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
      idempotent = new ProducerConfig(p).getBoolean(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (int i = 0; i < perCodec; i++) {
          int n = sent.size();
          RecordHeaders headers = new RecordHeaders();
          headers.add("codec", bytes(codec));
          headers.add("n", bytes(Integer.toString(n)));
          if (i % 2 == 0) headers.add("empty", null);
          // Repetitive values so every codec really shrinks the batch.
          ProducerRecord<byte[], byte[]> r =
              new ProducerRecord<>(topic, 0, t0 + n, bytes("key-" + n), bytes(("value " + codec + " " + n + " ").repeat(20)), headers);
          sent.add(r);
          acks.add(producer.send(r));
        }
        producer.flush();
        List<Long> offsets = new ArrayList<>();
        for (Future<RecordMetadata> f : acks) offsets.add(f.get().offset());
        long first = sent.size() - perCodec;
        for (int i = 0; i < offsets.size(); i++) check(offsets.get(i) == first + i, codec + ": record " + i + " acknowledged at offset " + offsets.get(i) + ", expected " + (first + i));
        offsetsByCodec.put(codec, List.of(offsets.get(0), offsets.get(offsets.size() - 1)));
      }
    }
    List<ConsumerRecord<byte[], byte[]>> read = readFromStart(List.of(tp), sent.size());
    for (int i = 0; i < sent.size(); i++) sameRecord(sent.get(i), read.get(i), i);
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("topic", topic);
    facts.put("idempotent", idempotent);
    facts.put("offsets", offsetsByCodec);
    facts.put("read", read.size());
    return facts;
  }

  /**
   * A record just under max.request.size (1 MiB by default) goes through and reads back whole; one of 2 MiB,
   * which the producer lets through when its own limit is raised, is refused by the broker (MESSAGE_TOO_LARGE,
   * message.max.bytes is 1 MiB + 12 by default on both brokers) and surfaces as RecordTooLargeException.
   */
  private Map<String, Object> producerLarge() throws Exception {
    String topic = prefix + "-large";
    createTopic(topic, 1, Map.of());
    TopicPartition tp = new TopicPartition(topic, 0);
    int maxRequest = 1_048_576;
    byte[] big = new byte[maxRequest - 512];
    for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 31 + (i >> 8));
    long offset;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps())) {
      offset = producer.send(new ProducerRecord<>(topic, 0, bytes("big"), big)).get().offset();
    }
    String oversize;
    Properties p = producerProps();
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(4 * maxRequest));
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Integer.toString(8 * maxRequest));
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      producer.send(new ProducerRecord<>(topic, 0, bytes("too-big"), new byte[2 * maxRequest])).get();
      oversize = "accepted";
    } catch (ExecutionException e) {
      oversize = e.getCause().getClass().getSimpleName();
    }
    List<ConsumerRecord<byte[], byte[]>> read = readFromStart(List.of(tp), 1);
    check(Arrays.equals(read.get(0).value(), big), "the large record read back differs from the one sent");
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("offset", offset);
    facts.put("bytes", big.length);
    facts.put("readBytes", read.get(0).value().length);
    facts.put("oversize", oversize);
    facts.put("endOffset", endOffsets(List.of(tp)).get(tp));
    return facts;
  }

  /**
   * A record without a key on a compacted topic, sent in one batch between two keyed ones: the facts give
   * each record's outcome (its offset, or the exception and its message), then what the partition holds and
   * where a keyed record sent alone afterwards lands.
   */
  private Map<String, Object> producerKeylessCompacted() throws Exception {
    String topic = prefix + "-compacted";
    createTopic(topic, 1, Map.of("cleanup.policy", "compact"));
    TopicPartition tp = new TopicPartition(topic, 0);
    Properties p = producerProps();
    p.put(ProducerConfig.LINGER_MS_CONFIG, "500");
    List<Object> outcomes = new ArrayList<>();
    long after;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (String key : Arrays.asList("k1", null, "k2")) acks.add(producer.send(new ProducerRecord<>(topic, 0, key == null ? null : bytes(key), bytes("v"))));
      producer.flush();
      for (Future<RecordMetadata> f : acks) {
        try {
          outcomes.add(f.get().offset());
        } catch (ExecutionException e) {
          outcomes.add(e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage());
        }
      }
      after = producer.send(new ProducerRecord<>(topic, 0, bytes("k3"), bytes("v"))).get().offset();
    }
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("outcomes", outcomes);
    facts.put("keyedAfter", after);
    facts.put("endOffset", endOffsets(List.of(tp)).get(tp));
    return facts;
  }

  /**
   * A transactional producer (transactional.id): initTransactions, one record in a committed transaction,
   * read back by a read_committed consumer. The facts say whether it committed, or what the client raised.
   */
  private Map<String, Object> producerTransactions() throws Exception {
    String topic = prefix + "-txn";
    createTopic(topic, 1, Map.of());
    Properties p = producerProps();
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "-txn-producer");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000");
    Map<String, Object> facts = new LinkedHashMap<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, 0, bytes("k"), bytes("in a transaction")));
      producer.commitTransaction();
      Properties c = consumerProps(null);
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
        TopicPartition tp = new TopicPartition(topic, 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        facts.put("outcome", "committed");
        facts.put("read", text(pollUntil(consumer, 1, "the committed record").get(0).value()));
      }
    } catch (Exception e) {
      facts.put("outcome", "error");
      facts.put("exception", e.getClass().getName());
      facts.put("message", e.getMessage());
    }
    return facts;
  }

  // ---------------------------------------------------------------- consumer

  /** assign + seekToBeginning, seek, offsetsForTimes, beginning/end offsets, pause and resume. */
  private Map<String, Object> consumerAssign() throws Exception {
    String topic = prefix + "-assign";
    createTopic(topic, 3, Map.of());
    long t0 = System.currentTimeMillis() - 3_600_000;
    produce(topic, 30, i -> i % 3, i -> t0 + 1000L * i);
    List<TopicPartition> tps = partitions(topic, 3);
    Map<String, Object> facts = new LinkedHashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(null))) {
      c.assign(tps);
      c.seekToBeginning(tps);
      List<ConsumerRecord<byte[], byte[]>> all = pollUntil(c, 30, "all 30 records of " + topic);
      Map<Integer, List<Long>> offsets = new TreeMap<>();
      for (ConsumerRecord<byte[], byte[]> r : all) {
        int i = Integer.parseInt(text(r.key()).substring(4));
        check(r.partition() == i % 3 && r.offset() == i / 3 && r.timestamp() == t0 + 1000L * i, "record " + i + " read at " + r.partition() + "/" + r.offset() + " ts " + r.timestamp());
        offsets.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r.offset());
      }
      facts.put("read", all.size());

      c.seek(tps.get(0), 4);
      c.pause(List.of(tps.get(1), tps.get(2)));
      List<ConsumerRecord<byte[], byte[]>> afterSeek = pollUntil(c, 6, "offsets 4-9 of partition 0 after seek");
      facts.put("afterSeek", afterSeek.stream().map(r -> r.partition() + "/" + r.offset()).toList());
      c.resume(List.of(tps.get(1), tps.get(2)));

      // Record 16 is partition 1, offset 5; a time between records 13 and 16 finds it too.
      Map<TopicPartition, OffsetAndTimestamp> byTime =
          c.offsetsForTimes(Map.of(tps.get(1), t0 + 16_000L, tps.get(2), t0 + 15_500L, tps.get(0), t0 + 1_000_000L));
      Map<String, Object> times = new LinkedHashMap<>();
      times.put("exact", byTime.get(tps.get(1)) == null ? null : byTime.get(tps.get(1)).offset());
      times.put("between", byTime.get(tps.get(2)) == null ? null : byTime.get(tps.get(2)).offset());
      times.put("beyond", byTime.get(tps.get(0)) == null ? null : byTime.get(tps.get(0)).offset());
      facts.put("offsetsForTimes", times);
      facts.put("beginning", values(c.beginningOffsets(tps), tps));
      facts.put("end", values(c.endOffsets(tps), tps));

      // Pause partition 2, produce to 0 and 2: only 0's records arrive until 2 is resumed.
      for (TopicPartition tp : tps) c.seek(tp, c.endOffsets(List.of(tp)).get(tp));
      c.pause(List.of(tps.get(2)));
      produce(topic, 6, i -> i % 2 == 0 ? 0 : 2, i -> t0 + 100_000L + i);
      List<ConsumerRecord<byte[], byte[]>> whilePaused = pollUntil(c, 3, "the 3 records of partition 0 while 2 is paused");
      // A few more polls: nothing of the paused partition may come.
      for (int i = 0; i < 3; i++) whilePaused.addAll(toList(c.poll(Duration.ofMillis(200))));
      facts.put("whilePaused", partitionsOf(whilePaused));
      facts.put("paused", c.paused().size());
      c.resume(List.of(tps.get(2)));
      facts.put("afterResume", partitionsOf(pollUntil(c, 3, "the 3 records of partition 2 after resume")));
    }
    return facts;
  }

  /**
   * A group member reads everything, commits partition 0 with commitSync and partition 1 with commitAsync at
   * chosen offsets; the next member of the group starts exactly there, and commitSync() commits its positions.
   */
  private Map<String, Object> consumerCommit() throws Exception {
    String topic = prefix + "-commit";
    String group = prefix + "-commit-group";
    createTopic(topic, 2, Map.of());
    produce(topic, 20, i -> i % 2, i -> null);
    List<TopicPartition> tps = partitions(topic, 2);
    Map<String, Object> facts = new LinkedHashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(group))) {
      c.subscribe(List.of(topic));
      pollUntil(c, 20, "all 20 records through subscribe");
      c.commitSync(Map.of(tps.get(0), new OffsetAndMetadata(6, "sync")));
      Object[] asyncResult = new Object[1];
      c.commitAsync(Map.of(tps.get(1), new OffsetAndMetadata(4, "async")), (offsets, err) -> asyncResult[0] = err == null ? "ok" : describe(err));
      waitUntil(() -> {
        c.poll(Duration.ofMillis(50));
        return asyncResult[0] != null;
      }, "the commitAsync callback");
      facts.put("commitAsync", asyncResult[0]);
      Map<TopicPartition, OffsetAndMetadata> committed = c.committed(new HashSet<>(tps));
      facts.put("committed", List.of(committed.get(tps.get(0)).offset(), committed.get(tps.get(1)).offset()));
      facts.put("metadata", List.of(committed.get(tps.get(0)).metadata(), committed.get(tps.get(1)).metadata()));
    }
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(group))) {
      c.subscribe(List.of(topic));
      List<ConsumerRecord<byte[], byte[]>> rest = pollUntil(c, 10, "the 10 records after the committed offsets");
      Map<Integer, Long> firstByPartition = new TreeMap<>();
      for (ConsumerRecord<byte[], byte[]> r : rest) firstByPartition.putIfAbsent(r.partition(), r.offset());
      facts.put("resumedFrom", List.of(firstByPartition.get(0), firstByPartition.get(1)));
      facts.put("resumedCount", rest.size());
      c.commitSync();
      Map<TopicPartition, OffsetAndMetadata> committed = c.committed(new HashSet<>(tps));
      facts.put("finalCommitted", List.of(committed.get(tps.get(0)).offset(), committed.get(tps.get(1)).offset()));
    }
    return facts;
  }

  /** One member of a group driven from this thread: its consumer, what it read and its rebalance callbacks. */
  private static final class Member implements ConsumerRebalanceListener {
    final String name;
    final KafkaConsumer<byte[], byte[]> consumer;
    final List<String> events = new ArrayList<>();
    final Map<TopicPartition, Long> nextExpected = new LinkedHashMap<>();
    int read;
    int duplicates;

    Member(String name, Properties props) {
      this.name = name;
      this.consumer = new KafkaConsumer<>(props);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) events.add("revoked " + sorted(partitions));
      // Eager members give everything back here: commit first, so the next owner starts after what we read.
      if (!partitions.isEmpty()) consumer.commitSync();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      events.add("assigned " + sorted(partitions));
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      events.add("lost " + sorted(partitions));
    }

    /** Polls once, checks each partition's offsets continue where the group left them, commits. */
    void pollOnce(Map<TopicPartition, Set<Long>> seen) {
      ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
      for (ConsumerRecord<byte[], byte[]> r : records) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        if (!seen.computeIfAbsent(tp, k -> new HashSet<>()).add(r.offset())) duplicates++;
        read++;
      }
      if (!records.isEmpty()) consumer.commitSync();
    }

    List<Integer> owned() {
      return sorted(consumer.assignment());
    }
  }

  /**
   * Three members share a six-partition topic under one assignor: the first takes all six, two more join
   * and each ends with two; one leaves and the other two cover all six. Records produced at each stage are
   * read exactly once by the group; the rebalance callbacks show eager (revoke all) versus cooperative
   * (revoke only what moves) assignment.
   */
  private Map<String, Object> groupOfThree(String assignor) throws Exception {
    String topic = prefix + "-" + assignor;
    String group = prefix + "-" + assignor + "-group";
    createTopic(topic, 6, Map.of());
    Map<TopicPartition, Set<Long>> seen = new LinkedHashMap<>();
    List<Member> members = new ArrayList<>();
    Map<String, Object> facts = new LinkedHashMap<>();
    try {
      for (int m = 1; m <= 3; m++) {
        Properties p = consumerProps(group);
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor.equals("range") ? "org.apache.kafka.clients.consumer.RangeAssignor" : "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        members.add(new Member("m" + m, p));
      }
      Member first = members.get(0);
      first.consumer.subscribe(List.of(topic), first);
      produce(topic, 60, i -> i % 6, i -> null);
      pollGroup(List.of(first), seen, () -> first.owned().size() == 6 && first.read == 60, "the first member to own all 6 partitions and read 60 records");
      for (Member m : members.subList(1, 3)) m.consumer.subscribe(List.of(topic), m);
      pollGroup(members, seen, () -> sizes(members).equals(List.of(2, 2, 2)) && noRebalancePending(members), "three members to own 2 partitions each");
      facts.put("ownedByThree", sizes(members));
      facts.put("firstMemberEvents", new ArrayList<>(first.events));
      produce(topic, 60, i -> i % 6, i -> null);
      pollGroup(members, seen, () -> total(members) == 120, "the group to read the 60 records produced after the join");
      facts.put("readByThree", members.stream().map(m -> m.read).toList());

      try (Admin admin = admin()) {
        ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
        facts.put("describedAssignor", d.partitionAssignor());
        facts.put("describedState", d.groupState().toString());
        facts.put("describedMembers", d.members().size());
      }

      Member leaving = members.remove(2);
      leaving.consumer.close();
      pollGroup(members, seen, () -> sizes(members).equals(List.of(3, 3)) && noRebalancePending(members), "two members to own 3 partitions each after one left");
      facts.put("ownedByTwo", sizes(members));
      produce(topic, 60, i -> i % 6, i -> null);
      pollGroup(members, seen, () -> total(members) + leaving.read == 180, "the two members to read the 60 records produced after the leave");
      int duplicates = leaving.duplicates + members.stream().mapToInt(m -> m.duplicates).sum();
      long distinct = seen.values().stream().mapToLong(Set::size).sum();
      facts.put("distinct", distinct);
      facts.put("duplicates", duplicates);
      for (Map.Entry<TopicPartition, Set<Long>> e : seen.entrySet()) check(e.getValue().size() == 30 && e.getValue().contains(0L) && e.getValue().contains(29L), e.getKey() + " read " + e.getValue().size() + " distinct offsets, expected 30 (0..29)");
    } finally {
      for (Member m : members) m.consumer.close(Duration.ofSeconds(5));
    }
    return facts;
  }

  /**
   * Static membership (group.instance.id): one of two members is closed and restarted under the same instance
   * id within the session timeout; it gets its partitions back, the other member sees no rebalance and the
   * generation does not change.
   */
  private Map<String, Object> groupStatic() throws Exception {
    String topic = prefix + "-static";
    String group = prefix + "-static-group";
    createTopic(topic, 4, Map.of());
    Map<TopicPartition, Set<Long>> seen = new LinkedHashMap<>();
    Map<String, Object> facts = new LinkedHashMap<>();
    List<Member> members = new ArrayList<>();
    try {
      for (String id : List.of("a", "b")) {
        Member m = new Member(id, staticProps(group, id));
        members.add(m);
        m.consumer.subscribe(List.of(topic), m);
      }
      pollGroup(members, seen, () -> sizes(members).equals(List.of(2, 2)) && noRebalancePending(members), "two static members to own 2 partitions each");
      Member a = members.get(0);
      Member b = members.get(1);
      int generation = a.consumer.groupMetadata().generationId();
      List<Integer> bOwned = b.owned();
      int aEvents = a.events.size();
      b.consumer.close();
      members.remove(b);
      Member b2 = new Member("b", staticProps(group, "b"));
      members.add(b2);
      b2.consumer.subscribe(List.of(topic), b2);
      produce(topic, 40, i -> i % 4, i -> null);
      pollGroup(members, seen, () -> total(members) == 40, "both members to read 40 records after b restarted");
      // Keep polling a few heartbeat intervals: a rebalance the restart caused would show on member a now.
      long until = System.currentTimeMillis() + 2_000;
      pollGroup(members, seen, () -> System.currentTimeMillis() > until, "a quiet period");
      facts.put("generationBefore", generation);
      facts.put("generationAfter", a.consumer.groupMetadata().generationId());
      facts.put("restartedGeneration", b2.consumer.groupMetadata().generationId());
      facts.put("ownedBefore", bOwned);
      facts.put("ownedAfter", b2.owned());
      facts.put("otherMemberEventsAfterRestart", new ArrayList<>(a.events.subList(aEvents, a.events.size())));
      facts.put("readByRestarted", b2.read);
      try (Admin admin = admin()) {
        ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
        facts.put("instanceIds", d.members().stream().map(x -> x.groupInstanceId().orElse(null)).sorted().toList());
      }
    } finally {
      for (Member m : members) m.consumer.close(Duration.ofSeconds(5));
    }
    return facts;
  }

  private Properties staticProps(String group, String instance) {
    Properties p = consumerProps(group);
    p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, prefix + "-" + instance);
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "20000");
    return p;
  }

  /**
   * Kafka 4's new group protocol (KIP-848): a consumer with group.protocol=consumer subscribes and polls. The
   * facts say whether it read the record, or the error the client raised.
   */
  private Map<String, Object> groupProtocolConsumer() throws Exception {
    String topic = prefix + "-kip848";
    createTopic(topic, 1, Map.of());
    produce(topic, 1, i -> 0, i -> null);
    Properties p = consumerProps(prefix + "-kip848-group");
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
    p.remove(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
    p.remove(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG);
    Map<String, Object> facts = new LinkedHashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      c.subscribe(List.of(topic));
      List<ConsumerRecord<byte[], byte[]>> got = pollUntil(c, 1, "the record through the consumer group protocol");
      facts.put("outcome", "consumed");
      facts.put("offset", got.get(0).offset());
    } catch (Exception e) {
      facts.put("outcome", "error");
      facts.put("exception", e.getClass().getName());
      facts.put("message", e.getMessage());
    }
    return facts;
  }

  // ---------------------------------------------------------------- admin

  /** createTopics with configs, describeTopics, createPartitions, describeConfigs, incrementalAlterConfigs, deleteTopics. */
  private Map<String, Object> adminTopics() throws Exception {
    String topic = prefix + "-admin";
    Map<String, Object> facts = new LinkedHashMap<>();
    try (Admin admin = admin()) {
      NewTopic nt = new NewTopic(topic, java.util.Optional.of(2), java.util.Optional.empty()).configs(Map.of("retention.ms", "3600000", "cleanup.policy", "compact"));
      step("createTopics", () -> admin.createTopics(List.of(nt)).all().get());
      TopicDescription d = step("describeTopics", () -> describeWhenKnown(admin, topic, 2));
      facts.put("partitions", d.partitions().size());
      facts.put("replicas", d.partitions().get(0).replicas().size());
      facts.put("leaders", d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
      facts.put("topicIdSet", d.topicId() != null && !d.topicId().equals(org.apache.kafka.common.Uuid.ZERO_UUID));
      step("createPartitions", () -> admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(5))).all().get());
      describeWhenKnown(admin, topic, 5);
      facts.put("partitionsAfter", 5);
      ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Map<String, ConfigEntry> configs = topicConfigs(admin, res);
      facts.put("created", Map.of("retention.ms", configs.get("retention.ms").value(), "cleanup.policy", configs.get("cleanup.policy").value(), "source", configs.get("retention.ms").source().toString()));
      step("incrementalAlterConfigs", () -> admin.incrementalAlterConfigs(Map.of(res, List.of(
          new AlterConfigOp(new ConfigEntry("retention.ms", "7200000"), AlterConfigOp.OpType.SET),
          new AlterConfigOp(new ConfigEntry("cleanup.policy", ""), AlterConfigOp.OpType.DELETE)))).all().get());
      waitUntil(() -> topicConfigs(admin, res).get("retention.ms").value().equals("7200000"), "describeConfigs to show the altered retention.ms");
      configs = topicConfigs(admin, res);
      facts.put("altered", Map.of("retention.ms", configs.get("retention.ms").value(), "cleanup.policy", configs.get("cleanup.policy").value(), "cleanupSource", configs.get("cleanup.policy").source().toString()));
      ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(admin.describeCluster().controller().get().id()));
      Map<String, ConfigEntry> brokerConfigs = step("describeConfigs(broker)", () -> admin.describeConfigs(List.of(broker)).all().get().get(broker).entries().stream().collect(java.util.stream.Collectors.toMap(ConfigEntry::name, e -> e)));
      facts.put("brokerHasNumPartitions", brokerConfigs.containsKey("num.partitions"));
      step("deleteTopics", () -> admin.deleteTopics(List.of(topic)).all().get());
      waitUntil(() -> !admin.listTopics().names().get().contains(topic), "listTopics to drop the deleted topic");
      facts.put("listedAfterDelete", admin.listTopics().names().get().contains(topic));
    }
    return facts;
  }

  private static Map<String, ConfigEntry> topicConfigs(Admin admin, ConfigResource res) throws Exception {
    Map<String, ConfigEntry> out = new TreeMap<>();
    step("describeConfigs", () -> admin.describeConfigs(List.of(res)).all().get().get(res)).entries().forEach(e -> out.put(e.name(), e));
    return out;
  }

  /** listConsumerGroups, describeConsumerGroups, listConsumerGroupOffsets, alterConsumerGroupOffsets, deleteConsumerGroupOffsets. */
  private Map<String, Object> adminGroups() throws Exception {
    String topic = prefix + "-admin-groups";
    String group = prefix + "-admin-group";
    createTopic(topic, 2, Map.of());
    produce(topic, 10, i -> i % 2, i -> null);
    List<TopicPartition> tps = partitions(topic, 2);
    Map<String, Object> facts = new LinkedHashMap<>();
    try (Admin admin = admin(); KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(group))) {
      c.subscribe(List.of(topic));
      pollUntil(c, 10, "the 10 records of " + topic);
      c.commitSync();
      Collection<org.apache.kafka.clients.admin.ConsumerGroupListing> listed = step("listConsumerGroups", () -> admin.listConsumerGroups().all().get());
      org.apache.kafka.clients.admin.ConsumerGroupListing ours = listed.stream().filter(g -> g.groupId().equals(group)).findFirst().orElseThrow(() -> new AssertionError("listConsumerGroups does not list " + group));
      facts.put("listedState", ours.groupState().map(Object::toString).orElse(null));
      facts.put("listedType", ours.type().map(Object::toString).orElse(null));
      ConsumerGroupDescription d = step("describeConsumerGroups", () -> admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get());
      facts.put("state", d.groupState().toString());
      facts.put("members", d.members().size());
      facts.put("memberPartitions", sorted(d.members().iterator().next().assignment().topicPartitions()));
      facts.put("coordinatorKnown", d.coordinator() != null && d.coordinator().id() >= 0);
      c.unsubscribe();
      c.close();
      waitUntil(() -> admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get().members().isEmpty(), "the group to be empty after its member left");
      facts.put("committed", offsetsOf(step("listConsumerGroupOffsets", () -> admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()), tps));
      step("alterConsumerGroupOffsets", () -> admin.alterConsumerGroupOffsets(group, Map.of(tps.get(0), new OffsetAndMetadata(2), tps.get(1), new OffsetAndMetadata(3))).all().get());
      facts.put("altered", offsetsOf(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(), tps));
      step("deleteConsumerGroupOffsets", () -> admin.deleteConsumerGroupOffsets(group, Set.of(tps.get(1))).all().get());
      facts.put("afterDelete", offsetsOf(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(), tps));
      step("deleteConsumerGroups", () -> admin.deleteConsumerGroups(List.of(group)).all().get());
      facts.put("listedAfterDeleteGroup", admin.listConsumerGroups().all().get().stream().anyMatch(g -> g.groupId().equals(group)));
    }
    return facts;
  }

  /** deleteRecords moves the log start; consumers and listOffsets see it. */
  private Map<String, Object> adminRecords() throws Exception {
    String topic = prefix + "-delete-records";
    createTopic(topic, 1, Map.of());
    produce(topic, 10, i -> 0, i -> null);
    TopicPartition tp = new TopicPartition(topic, 0);
    Map<String, Object> facts = new LinkedHashMap<>();
    try (Admin admin = admin()) {
      long low = step("deleteRecords", () -> admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(4))).lowWatermarks().get(tp).get().lowWatermark());
      facts.put("lowWatermark", low);
      facts.put("earliest", admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.earliest())).partitionResult(tp).get().offset());
      facts.put("latest", admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest())).partitionResult(tp).get().offset());
      List<ConsumerRecord<byte[], byte[]>> rest = readFromStart(List.of(tp), 6);
      facts.put("firstReadable", rest.get(0).offset());
    }
    return facts;
  }

  /** describeCluster and describeLogDirs. */
  private Map<String, Object> adminCluster() throws Exception {
    String topic = prefix + "-log-dirs";
    createTopic(topic, 1, Map.of());
    produce(topic, 5, i -> 0, i -> null);
    TopicPartition tp = new TopicPartition(topic, 0);
    Map<String, Object> facts = new LinkedHashMap<>();
    try (Admin admin = admin()) {
      DescribeClusterResult cluster = admin.describeCluster();
      Collection<Node> nodes = step("describeCluster", () -> cluster.nodes().get());
      facts.put("nodes", nodes.size());
      facts.put("clusterIdSet", cluster.clusterId().get() != null && !cluster.clusterId().get().isEmpty());
      Node controller = cluster.controller().get();
      facts.put("controllerListed", nodes.stream().anyMatch(n -> n.id() == controller.id()));
      List<Integer> ids = nodes.stream().map(Node::id).toList();
      Map<Integer, Map<String, LogDirDescription>> dirs = step("describeLogDirs", () -> admin.describeLogDirs(ids).allDescriptions().get());
      long size = -1;
      int dirsWithTopic = 0;
      for (Map<String, LogDirDescription> byPath : dirs.values()) {
        for (LogDirDescription dir : byPath.values()) {
          ReplicaInfo info = dir.replicaInfos().get(tp);
          if (info != null) {
            dirsWithTopic++;
            size = Math.max(size, info.size());
          }
        }
      }
      facts.put("brokersDescribed", dirs.size());
      facts.put("replicasOfTopic", dirsWithTopic);
      facts.put("sizePositive", size > 0);
    }
    return facts;
  }

  // ---------------------------------------------------------------- helpers

  private Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    return Admin.create(p);
  }

  private Properties producerProps() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    return p;
  }

  /** A consumer of byte arrays; with a group: manual commits, short heartbeats so rebalances finish quickly. */
  private Properties consumerProps(String group) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    if (group != null) {
      p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
      p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "300");
      p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "20000");
    }
    return p;
  }

  private void createTopic(String topic, int partitions, Map<String, String> configs) throws Exception {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, java.util.Optional.of(partitions), java.util.Optional.empty()).configs(configs))).all().get();
      describeWhenKnown(admin, topic, partitions);
    }
  }

  /**
   * describeTopics once it lists `partitions` partitions, each with a leader. On a Kafka cluster the broker
   * that answers may apply the controller's metadata a moment after createTopics/createPartitions returned,
   * and until then it answers UNKNOWN_TOPIC_OR_PARTITION or the old partition count.
   */
  private static TopicDescription describeWhenKnown(Admin admin, String topic, int partitions) throws Exception {
    TopicDescription[] found = new TopicDescription[1];
    waitUntil(() -> {
      try {
        found[0] = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) return false;
        throw e;
      }
      return found[0].partitions().size() == partitions && found[0].partitions().stream().allMatch(p -> p.leader() != null);
    }, "describeTopics to list " + partitions + " partitions of " + topic + ", each with a leader");
    return found[0];
  }

  interface IntFn<T> {
    T apply(int i);
  }

  /** Produces n records keyed "key-i" with value "value-i" to partition(i), with timestamp(i) (null: now). */
  private void produce(String topic, int n, IntFn<Integer> partition, IntFn<Long> timestamp) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps())) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (int i = 0; i < n; i++) acks.add(producer.send(new ProducerRecord<>(topic, partition.apply(i), timestamp.apply(i), bytes("key-" + i), bytes("value-" + i))));
      for (Future<RecordMetadata> f : acks) f.get();
    }
  }

  private List<ConsumerRecord<byte[], byte[]>> readFromStart(List<TopicPartition> tps, int count) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(null))) {
      c.assign(tps);
      c.seekToBeginning(tps);
      return pollUntil(c, count, count + " records from the start of " + tps);
    }
  }

  private Map<TopicPartition, Long> endOffsets(List<TopicPartition> tps) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(null))) {
      return c.endOffsets(tps);
    }
  }

  private static final Duration PATIENCE = Duration.ofSeconds(45);

  /** Polls until at least `count` records arrived; more than `count` is a failure too (nothing may repeat). */
  private static List<ConsumerRecord<byte[], byte[]>> pollUntil(KafkaConsumer<byte[], byte[]> c, int count, String what) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    long deadline = System.currentTimeMillis() + PATIENCE.toMillis();
    while (out.size() < count) {
      if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out waiting for " + what + ": got " + out.size() + " of " + count);
      out.addAll(toList(c.poll(Duration.ofMillis(200))));
    }
    check(out.size() == count, what + ": got " + out.size() + " records, expected " + count);
    return out;
  }

  private static void pollGroup(List<Member> members, Map<TopicPartition, Set<Long>> seen, BooleanSupplier done, String what) {
    long deadline = System.currentTimeMillis() + PATIENCE.toMillis();
    while (!done.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        StringBuilder state = new StringBuilder();
        for (Member m : members) state.append(" ").append(m.name).append(" owns ").append(m.owned()).append(" read ").append(m.read).append(" events ").append(m.events).append(';');
        throw new AssertionError("timed out waiting for " + what + ":" + state);
      }
      for (Member m : members) m.pollOnce(seen);
    }
  }

  /** After the last assignment a cooperative member may still be about to rejoin; its generation says so. */
  private static boolean noRebalancePending(List<Member> members) {
    int generation = members.get(0).consumer.groupMetadata().generationId();
    return members.stream().allMatch(m -> m.consumer.groupMetadata().generationId() == generation);
  }

  interface Step<T> {
    T get() throws Exception;
  }

  /** Runs one Admin call; a failure names the call, so a result says which API a broker refused. */
  private static <T> T step(String name, Step<T> call) throws Exception {
    try {
      return call.get();
    } catch (ExecutionException e) {
      throw new AssertionError(name + " failed: " + describe(e.getCause()), e.getCause());
    } catch (Exception e) {
      throw new AssertionError(name + " failed: " + describe(e), e);
    }
  }

  private static void waitUntil(Step<Boolean> condition, String what) throws Exception {
    long deadline = System.currentTimeMillis() + PATIENCE.toMillis();
    while (!condition.get()) {
      if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(100);
    }
  }

  private static void sameRecord(ProducerRecord<byte[], byte[]> sent, ConsumerRecord<byte[], byte[]> got, int offset) {
    check(got.offset() == offset, "record " + offset + " read at offset " + got.offset());
    check(Arrays.equals(sent.key(), got.key()), "record " + offset + ": key differs");
    check(Arrays.equals(sent.value(), got.value()), "record " + offset + ": value differs");
    check(sent.timestamp() == got.timestamp(), "record " + offset + ": timestamp " + got.timestamp() + ", sent " + sent.timestamp());
    Header[] a = sent.headers().toArray();
    Header[] b = got.headers().toArray();
    check(a.length == b.length, "record " + offset + ": " + b.length + " headers, sent " + a.length);
    for (int i = 0; i < a.length; i++) {
      check(a[i].key().equals(b[i].key()) && Arrays.equals(a[i].value(), b[i].value()), "record " + offset + ": header " + a[i].key() + " differs");
    }
  }

  private static List<TopicPartition> partitions(String topic, int n) {
    List<TopicPartition> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(new TopicPartition(topic, i));
    return out;
  }

  private static List<Long> values(Map<TopicPartition, Long> offsets, List<TopicPartition> tps) {
    return tps.stream().map(offsets::get).toList();
  }

  private static List<Long> offsetsOf(Map<TopicPartition, OffsetAndMetadata> offsets, List<TopicPartition> tps) {
    return tps.stream().map(tp -> offsets.get(tp) == null ? null : offsets.get(tp).offset()).toList();
  }

  private static List<ConsumerRecord<byte[], byte[]>> toList(ConsumerRecords<byte[], byte[]> records) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    records.forEach(out::add);
    return out;
  }

  private static List<Integer> partitionsOf(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream().map(ConsumerRecord::partition).toList();
  }

  private static List<Integer> sorted(Collection<TopicPartition> tps) {
    return tps.stream().map(TopicPartition::partition).sorted().toList();
  }

  private static List<Integer> sizes(List<Member> members) {
    return members.stream().map(m -> m.consumer.assignment().size()).toList();
  }

  private static int total(List<Member> members) {
    return members.stream().mapToInt(m -> m.read).sum();
  }

  private static void check(boolean ok, String message) {
    if (!ok) throw new AssertionError(message);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static String describe(Throwable e) {
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
