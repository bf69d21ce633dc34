package dev.sluice.checks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Kafka Streams word count (at-least-once): lines → words → groupBy(word) (a repartition topic) → count in a
 * state store (a compacted changelog topic) → output topic.
 *
 * <pre>WordCount &lt;bootstrap&gt; &lt;app-id&gt; &lt;first-input-file&gt; &lt;second-input-file&gt;</pre>
 *
 * Runs the application over the first file's lines, stops it, deletes its local state (so the counts can only
 * come back from the changelog), produces the second file's lines and starts it again. Prints one line
 * {@code WORDCOUNT {…}} with the counts the output topic holds after each run, the internal topics Streams
 * created through the Admin client and their configs, and how many records the restart restored.
 */
public final class WordCount {
  private static final String STORE = "counts";

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: WordCount <bootstrap> <app-id> <first-input-file> <second-input-file>");
      System.exit(2);
    }
    String bootstrap = args[0];
    String app = args[1];
    List<String> first = Files.readAllLines(Path.of(args[2]));
    List<String> second = Files.readAllLines(Path.of(args[3]));
    String input = app + "-lines";
    String output = app + "-counts";
    Map<String, Object> result = new LinkedHashMap<>();
    Path state = Files.createTempDirectory("sluice-wordcount-");
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(input, Optional.of(2), Optional.empty()), new NewTopic(output, Optional.of(2), Optional.empty()))).all().get();
      produce(bootstrap, input, first);
      Map<String, Long> expectedFirst = count(first, new TreeMap<>());
      AtomicLong restored = new AtomicLong();
      try (KafkaStreams streams = start(bootstrap, app, state, restored)) {
        phase("running");
        result.put("afterFirstRun", awaitCounts(bootstrap, output, expectedFirst));
        phase("counted");
        result.put("internalTopics", internalTopics(admin, app));
        stop(streams);
        phase("stopped");
      }
      result.put("restoredOnFirstRun", restored.get());
      deleteRecursively(state);

      produce(bootstrap, input, second);
      Map<String, Long> expectedBoth = count(second, new TreeMap<>(expectedFirst));
      try (KafkaStreams streams = start(bootstrap, app, state, restored)) {
        phase("running again");
        result.put("afterRestart", awaitCounts(bootstrap, output, expectedBoth));
        phase("counted again");
        result.put("restoredFromChangelog", restored.get());
        result.put("store", storeContents(streams));
        stop(streams);
        phase("stopped again");
      }
    } finally {
      deleteRecursively(state);
    }
    System.out.println("WORDCOUNT " + Json.write(result));
    System.out.flush();
    System.exit(0);
  }

  private static final long T0 = System.currentTimeMillis();

  /** Progress on standard error, with the time since start: where a slow run spends it. */
  static void phase(String what) {
    System.err.println("word count: " + what + " after " + (System.currentTimeMillis() - T0) + " ms");
  }

  static KafkaStreams start(String bootstrap, String app, Path state, AtomicLong restored) throws InterruptedException {
    StreamsBuilder builder = new StreamsBuilder();
    KStream<String, String> lines = builder.stream(app + "-lines");
    lines
        .flatMapValues(line -> Arrays.asList(line.toLowerCase(Locale.ROOT).split("\\W+")))
        .filter((key, word) -> !word.isEmpty())
        .groupBy((key, word) -> word, Grouped.with(Serdes.String(), Serdes.String()))
        .count(Materialized.as(STORE))
        .toStream()
        .to(app + "-counts", Produced.with(Serdes.String(), Serdes.Long()));

    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200");
    // No record cache: every count update reaches the output topic and the changelog at once.
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
    // A static member (KIP-345): close(leaveGroup) then sends LeaveGroup (KIP-812), so the restarted
    // application joins at once instead of waiting out the old member's session, as a dynamic one must.
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), app + "-instance");
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), "10000");
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), "500");
    KafkaStreams streams = new KafkaStreams(builder.build(), p);
    streams.setGlobalStateRestoreListener(new StateRestoreListener() {
      @Override
      public void onRestoreStart(TopicPartition tp, String store, long start, long end) {}

      @Override
      public void onBatchRestored(TopicPartition tp, String store, long batchEnd, long count) {
        restored.addAndGet(count);
      }

      @Override
      public void onRestoreEnd(TopicPartition tp, String store, long total) {}
    });
    streams.start();
    long deadline = System.currentTimeMillis() + 60_000;
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (System.currentTimeMillis() > deadline || streams.state() == KafkaStreams.State.ERROR) {
        throw new AssertionError("the word count did not reach RUNNING; state " + streams.state());
      }
      Thread.sleep(100);
    }
    return streams;
  }

  /** Leaves the group on close, so the restarted application does not wait out the old member's session. */
  static void stop(KafkaStreams streams) {
    check(streams.close(new KafkaStreams.CloseOptions().leaveGroup(true).timeout(Duration.ofSeconds(30))), "the word count did not close within 30 s");
  }

  static void produce(String bootstrap, String topic, List<String> lines) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < lines.size(); i++) producer.send(new ProducerRecord<>(topic, "line-" + i, lines.get(i)));
      producer.flush();
    }
  }

  /** Words counted the same way the topology does; only used to know when the output is complete. */
  static Map<String, Long> count(List<String> lines, Map<String, Long> into) {
    for (String line : lines) {
      for (String w : line.toLowerCase(Locale.ROOT).split("\\W+")) if (!w.isEmpty()) into.merge(w, 1L, Long::sum);
    }
    return into;
  }

  /**
   * Reads the output topic from the start until the latest count of every word adds up to the number of words
   * the input holds (the output is a stream of updates: the last one per word is its count), then returns the
   * latest counts. Waiting on the total, not on the expected map, leaves the comparison to the caller.
   */
  static Map<String, Long> awaitCounts(String bootstrap, String topic, Map<String, Long> expected) {
    long words = expected.values().stream().mapToLong(Long::longValue).sum();
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, LongDeserializer.class.getName());
    Map<String, Long> latest = new TreeMap<>();
    try (KafkaConsumer<String, Long> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> tps = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
      c.assign(tps);
      c.seekToBeginning(tps);
      long deadline = System.currentTimeMillis() + 60_000;
      while (latest.values().stream().mapToLong(Long::longValue).sum() < words) {
        if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out waiting for counts of " + words + " words in " + topic + "; latest " + latest);
        for (ConsumerRecord<String, Long> r : c.poll(Duration.ofMillis(200))) latest.put(r.key(), r.value());
      }
    }
    return latest;
  }

  /** The topics Streams created for this application: partition counts, cleanup policies, retention. */
  static Map<String, Object> internalTopics(Admin admin, String app) throws Exception {
    List<String> names = admin.listTopics().names().get().stream().filter(n -> n.startsWith(app + "-") && (n.endsWith("-repartition") || n.endsWith("-changelog"))).sorted().toList();
    Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get();
    List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
    var configs = admin.describeConfigs(resources).all().get();
    Map<String, Object> out = new LinkedHashMap<>();
    for (String name : names) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("partitions", described.get(name).partitions().size());
      var config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name));
      t.put("cleanupPolicy", config.get("cleanup.policy").value());
      t.put("retentionMs", config.get("retention.ms").value());
      out.put(name.substring(app.length() + 1), t);
    }
    return out;
  }

  /** The counts the state store holds (interactive query), for comparison with the output topic. */
  static Map<String, Long> storeContents(KafkaStreams streams) {
    ReadOnlyKeyValueStore<String, Long> store = streams.store(StoreQueryParameters.fromNameAndType(STORE, QueryableStoreTypes.keyValueStore()));
    Map<String, Long> out = new TreeMap<>();
    try (KeyValueIterator<String, Long> it = store.all()) {
      it.forEachRemaining(kv -> out.put(kv.key, kv.value));
    }
    return out;
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  static void check(boolean ok, String message) {
    if (!ok) throw new AssertionError(message);
  }
}
