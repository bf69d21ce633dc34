#!/usr/bin/env bash
# Runs one of Apache Kafka's own command-line tools, from the cache that fetch.sh fills, against any bootstrap
# address: the same names and arguments as the distribution's bin/*.sh scripts, e.g.
#   scripts/kafka/kafka-tool.sh kafka-topics --bootstrap-server 127.0.0.1:9092 --list
#   scripts/kafka/kafka-tool.sh kafka-consumer-groups --bootstrap-server 127.0.0.1:9092 --describe --group g
# kafka-server-start runs a broker in the foreground (the test rig's helper uses it).
#   KAFKA_HEAP_OPTS   JVM heap flags (default: -Xmx256m for tools, -Xmx768m for the server)
#   KAFKA_LOG_FILE    the server's log file (default: kafka.log in the current folder)
#   KAFKA_TOOL_JVM_OPTS  JVM flags for tools (default: C1 only and the serial GC, for a quick start)
# kafka-tool.sh --main <tool> prints the tool's main class and starts nothing (the tests' warm tool runner
# runs tools by their main classes: test/java/src/dev/sluice/checks/ToolRunner.java).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tool="${1:-}"
print_main=false
if [ "$tool" = --main ]; then print_main=true; shift; tool="${1:-}"; fi
[ -n "$tool" ] || { echo "usage: kafka-tool.sh <tool> [args...]  (tools: $(sed -n 's/^  \([a-z-]*\)) .*/\1/p' "$0" | tr '\n' ' '))" >&2; exit 2; }
shift
case "$tool" in
  kafka-server-start) main=kafka.Kafka ;;
  kafka-storage) main=kafka.tools.StorageTool ;;
  kafka-topics) main=org.apache.kafka.tools.TopicCommand ;;
  kafka-console-producer) main=org.apache.kafka.tools.ConsoleProducer ;;
  kafka-console-consumer) main=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
  kafka-consumer-groups) main=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  kafka-configs) main=kafka.admin.ConfigCommand ;;
  kafka-producer-perf-test) main=org.apache.kafka.tools.ProducerPerformance ;;
  kafka-consumer-perf-test) main=org.apache.kafka.tools.ConsumerPerformance ;;
  kafka-delete-records) main=org.apache.kafka.tools.DeleteRecordsCommand ;;
  kafka-log-dirs) main=org.apache.kafka.tools.LogDirsCommand ;;
  kafka-get-offsets) main=org.apache.kafka.tools.GetOffsetShell ;;
  kafka-broker-api-versions) main=org.apache.kafka.tools.BrokerApiVersionsCommand ;;
  kafka-metadata-quorum) main=org.apache.kafka.tools.MetadataQuorumCommand ;;
  kafka-transactions) main=org.apache.kafka.tools.TransactionsCommand ;;
  kafka-acls) main=org.apache.kafka.tools.AclCommand ;;
  kafka-run-class) main="$1"; shift ;;
  *) echo "kafka-tool.sh: unknown tool '$tool'; run it without arguments for the list" >&2; exit 2 ;;
esac
if $print_main; then echo "$main"; exit 0; fi
cache="$("$here/fetch.sh")"
if [ "$tool" = kafka-server-start ]; then
  heap="${KAFKA_HEAP_OPTS:--Xmx768m -Xms256m}"
  log=(-Dlog4j2.configurationFile="$cache/log4j2.yaml" -Dkafka.log.file="${KAFKA_LOG_FILE:-$PWD/kafka.log}")
  jvm=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError)
else
  heap="${KAFKA_HEAP_OPTS:--Xmx256m}"
  log=(-Dlog4j2.configurationFile="$here/tools-log4j2.yaml")
  # Tools are short-lived: the C1 compiler alone starts them about a second sooner. The perf-test tools
  # in bench/broker run long enough to want the full JIT: they set KAFKA_TOOL_JVM_OPTS.
  # shellcheck disable=SC2206
  jvm=(${KAFKA_TOOL_JVM_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC})
fi
# shellcheck disable=SC2086
exec java $heap "${jvm[@]}" -Djava.awt.headless=true "${log[@]}" -cp "$cache/libs/*" "$main" "$@"
