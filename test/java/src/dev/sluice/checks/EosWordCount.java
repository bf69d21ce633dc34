package dev.sluice.checks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Kafka Streams word count with processing.guarantee=exactly_once_v2, for a kill -9 test of the Streams
 * process. Three modes:
 *
 * <pre>
 * EosWordCount produce &lt;bootstrap&gt; &lt;app-id&gt; &lt;input-file&gt;   lines into &lt;app-id&gt;-lines (one partition)
 * EosWordCount run &lt;bootstrap&gt; &lt;app-id&gt; &lt;state-dir&gt;          runs until killed; prints "processed N" every 200 words
 * EosWordCount read &lt;bootstrap&gt; &lt;app-id&gt; &lt;words&gt;             read_committed: prints EOSCOUNTS {word: [updates…]}
 *                                                      and the number of records read_uncommitted sees
 * </pre>
 *
 * With no record cache every count update reaches the output, so under exactly-once each word's updates
 * read_committed are 1, 2, … n: a repeat is a duplicate, a gap a loss.
 */
public final class EosWordCount {
  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: EosWordCount <produce|run|read> <bootstrap> <app-id> <file|state-dir|words>");
      System.exit(2);
    }
    String bootstrap = args[1];
    String app = args[2];
    switch (args[0]) {
      case "produce" -> WordCount.produce(bootstrap, app + "-lines", Files.readAllLines(Path.of(args[3])));
      case "run" -> run(bootstrap, app, Path.of(args[3]));
      case "read" -> {
        long words = Long.parseLong(args[3]);
        Map<String, List<Long>> committed = read(bootstrap, app + "-counts", words, "read_committed");
        long uncommitted = read(bootstrap, app + "-counts", words, "read_uncommitted").values().stream().mapToLong(List::size).sum();
        System.out.println("EOSCOUNTS " + Json.write(Map.of("committed", committed, "uncommittedRecords", uncommitted)));
      }
      default -> {
        System.err.println("unknown mode " + args[0]);
        System.exit(2);
      }
    }
    System.out.flush();
    System.exit(0);
  }

  static void run(String bootstrap, String app, Path state) throws InterruptedException {
    AtomicLong words = new AtomicLong();
    StreamsBuilder builder = new StreamsBuilder();
    builder.<String, String>stream(app + "-lines")
        .flatMapValues(line -> Arrays.asList(line.toLowerCase(Locale.ROOT).split("\\W+")))
        .filter((key, word) -> !word.isEmpty())
        .groupBy((key, word) -> word, Grouped.with(Serdes.String(), Serdes.String()))
        .count(Materialized.as("counts"))
        .toStream()
        .peek((word, count) -> {
          if (words.incrementAndGet() % 200 == 0) System.out.println("processed " + words.get());
        })
        .to(app + "-counts", Produced.with(Serdes.String(), Serdes.Long()));
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    // SLUICE_STREAMS_GUARANTEE=at_least_once shows what the test catches without transactions.
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
        System.getenv().getOrDefault("SLUICE_STREAMS_GUARANTEE", StreamsConfig.EXACTLY_ONCE_V2));
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
    // Small polls, so a kill lands with a transaction open rather than after one big batch.
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), "20");
    // The killed instance's member lingers until its session ends; a short one lets the restart in sooner.
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), "6000");
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), "1000");
    KafkaStreams streams = new KafkaStreams(builder.build(), p);
    streams.setStateListener((now, before) -> System.out.println("state " + now));
    streams.start();
    Thread.sleep(Long.MAX_VALUE);
  }

  /** Every update of every word, until `words` updates came and 2 s more passed (or 60 s passed). */
  static Map<String, List<Long>> read(String bootstrap, String topic, long words, String isolation) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, LongDeserializer.class.getName());
    Map<String, List<Long>> updates = new TreeMap<>();
    long seen = 0;
    try (KafkaConsumer<String, Long> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> tps = new ArrayList<>();
      c.partitionsFor(topic).forEach(info -> tps.add(new TopicPartition(topic, info.partition())));
      c.assign(tps);
      c.seekToBeginning(tps);
      long deadline = System.currentTimeMillis() + 60_000;
      long quietUntil = Long.MAX_VALUE;
      while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
        for (ConsumerRecord<String, Long> r : c.poll(Duration.ofMillis(200))) {
          updates.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
          seen++;
        }
        // Past the expected number, keep reading 2 s more: a duplicate would arrive after it.
        if (seen >= words && quietUntil == Long.MAX_VALUE) quietUntil = System.currentTimeMillis() + 2_000;
      }
    }
    return updates;
  }
}
