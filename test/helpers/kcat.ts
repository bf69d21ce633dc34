import { type RunResult, run } from './run.js';

/** One record as `kcat -C -J` prints it. */
export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  tstype: string;
  ts: number;
  broker: number;
  headers: string[] | null;
  key: string | null;
  payload: string | null;
}

/** Runs kcat (librdkafka) against `bootstrap` over IPv4, with `input` on stdin. */
export function kcat(bootstrap: string, args: string[], input?: string): Promise<RunResult> {
  return run('kcat', ['-b', bootstrap, '-X', 'broker.address.family=v4', ...args], {
    input,
    timeoutMs: 20_000,
  });
}

/** Every record of one partition from the beginning to its end, as kcat reads them. */
export async function kcatConsume(
  bootstrap: string,
  topic: string,
  partition: number,
): Promise<KcatMessage[]> {
  const { stdout } = await kcat(bootstrap, [
    ...['-C', '-t', topic, '-p', String(partition)],
    ...['-o', 'beginning', '-e', '-J', '-q'],
  ]);
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as KcatMessage);
}
