// The job `bench/engine/kafka.bench.ts` runs through `sluice engine run`: Kafka source -> parse ->
// enrich -> format -> Kafka sink (three operators), two instances each, keyed by the record's key.

import { Job } from '../../src/engine/job.js';
import { kafkaSink, kafkaSource } from '../../src/engine/kafka/io.js';
import type { EngineJobContext } from '../../src/engine/kafka/job-module.js';
import { byKey } from '../../src/engine/types.js';

interface Event {
  id: number;
  key: string;
  amount: number;
}

export default function benchJob(ctx: EngineJobContext) {
  const job = new Job('bench');
  const source = job.source(
    'in',
    kafkaSource<string>({
      brokers: ctx.brokers,
      groupId: ctx.groupId,
      topics: [ctx.params.input],
      parallelism: 2,
      decode: (r) => String(r.value),
    }),
  );
  const parse = job.operator<string, Event>('parse', {
    parallelism: 2,
    process: (s, out) => out.emit(JSON.parse(s) as Event),
  });
  const enrich = job.operator<Event, Event & { large: boolean }>('enrich', {
    parallelism: 2,
    process: (e, out) => out.emit({ ...e, large: e.amount > 90 }),
  });
  const format = job.operator<Event & { large: boolean }, string>('format', {
    parallelism: 2,
    process: (e, out) => out.emit(JSON.stringify(e)),
  });
  const sink = job.sink(
    'out',
    kafkaSink<string>({ brokers: ctx.brokers, topic: ctx.params.output, encode: (value) => ({ value }) }),
  );
  job
    .connect(source, parse)
    .connect(parse, enrich, { grouping: byKey((e) => e.key) })
    .connect(enrich, format)
    .connect(format, sink);
  return { job };
}
