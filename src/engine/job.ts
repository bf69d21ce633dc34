import { meetsRule, type NumberRule, numberMessage } from '../flow/validate.js';
import type {
  EdgeOptions,
  Grouping,
  InstanceInfo,
  OperatorSpec,
  Processor,
  QueueSpec,
  SinkSpec,
  SourceSpec,
  Strategy,
} from './types.js';
import { STRATEGIES } from './types.js';

export type ComponentKind = 'source' | 'operator' | 'sink';

/**
 * A component of a job, typed by what it takes in (`I`) and gives out (`O`). The phantom members
 * make `connect` reject an edge whose types do not line up at compile time.
 */
export interface Node<I, O> {
  readonly name: string;
  readonly kind: ComponentKind;
  /** @internal phantom: contravariant in I */
  readonly __in?: (item: I) => void;
  /** @internal phantom: covariant in O */
  readonly __out?: () => O;
}

declare const noOutput: unique symbol;
/** The output type of a sink: nothing can be connected after it. */
export type NoOutput = typeof noOutput;

/** The untyped description the runtime works from (types were checked when the job was built). */
export interface ComponentDef {
  name: string;
  kind: ComponentKind;
  parallelism: number;
  source?: SourceSpec<unknown>;
  /** The sink's spec as given (a Kafka sink's stats are read through it). */
  sink?: SinkSpec<unknown>;
  create?: (info: InstanceInfo) => Processor<unknown, unknown>;
  cost?: number | ((item: unknown, instance: number) => number);
  concurrency: number;
  queue?: QueueSpec;
  sizeOf?: (item: unknown) => number;
}

export interface EdgeDef {
  from: string;
  to: string;
  grouping: Grouping<unknown>;
  strategy?: Strategy;
}

/** A validated job: components in topological order and the edges between them. */
export interface JobGraph {
  readonly name: string;
  readonly components: readonly ComponentDef[];
  readonly edges: readonly EdgeDef[];
}

export class GraphError extends Error {
  constructor(
    readonly job: string,
    readonly problems: string[],
  ) {
    super(`job '${job}' is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'GraphError';
  }
}

/**
 * Builds a job: add sources, operators and sinks, connect them, then `build()` validates the whole
 * graph (names unique, no cycles, every input connected, every output used) and reports every
 * problem at once.
 */
export class Job {
  private readonly components: ComponentDef[] = [];
  private readonly edges: EdgeDef[] = [];
  private readonly problems: string[] = [];

  constructor(readonly name: string) {}

  source<O>(name: string, spec: SourceSpec<O>): Node<never, O> {
    return this.add<never, O>({
      name,
      kind: 'source',
      parallelism: spec.parallelism ?? 1,
      source: spec as SourceSpec<unknown>,
      concurrency: 1,
      sizeOf: spec.sizeOf as ((item: unknown) => number) | undefined,
    });
  }

  operator<I, O>(name: string, spec: OperatorSpec<I, O>): Node<I, O> {
    if (!spec.process && !spec.create) {
      this.problems.push(`operator '${name}' has neither 'process' nor 'create'; give one of them`);
    }
    const process = spec.process;
    const create = spec.create ?? ((): Processor<I, O> => ({ process: process ?? (() => {}) }));
    return this.add<I, O>({
      name,
      kind: 'operator',
      parallelism: spec.parallelism ?? 1,
      create: create as (info: InstanceInfo) => Processor<unknown, unknown>,
      cost: spec.cost as ComponentDef['cost'],
      concurrency: spec.concurrency ?? 1,
      queue: spec.queue,
      sizeOf: spec.sizeOf as ((item: unknown) => number) | undefined,
    });
  }

  sink<I>(name: string, spec: SinkSpec<I>): Node<I, NoOutput> {
    if (!spec.write && !spec.create) {
      this.problems.push(`sink '${name}' has neither 'write' nor 'create'; give one of them`);
    }
    const create = (info: InstanceInfo): Processor<unknown, unknown> => {
      if (spec.create) {
        const s = spec.create(info);
        return { process: (item) => s.write(item as I), close: s.close };
      }
      const write = spec.write;
      return { process: (item) => write?.(item as I, info) };
    };
    return this.add<I, NoOutput>({
      name,
      kind: 'sink',
      parallelism: spec.parallelism ?? 1,
      sink: spec as SinkSpec<unknown>,
      create,
      cost: spec.cost as ComponentDef['cost'],
      concurrency: spec.concurrency ?? 1,
      queue: spec.queue,
    });
  }

  /** Connects `from`'s output to `to`'s input; `T` must be what `from` emits and `to` accepts. */
  connect<T>(from: Node<never, T>, to: Node<NoInfer<T>, unknown>, options: EdgeOptions<T> = {}): this {
    this.edges.push({
      from: from.name,
      to: to.name,
      grouping: (options.grouping ?? { kind: 'shuffle' }) as Grouping<unknown>,
      strategy: options.strategy,
    });
    return this;
  }

  /** Validates the graph; throws a GraphError listing every problem found. */
  build(): JobGraph {
    const problems = [...this.problems, ...validate(this.components, this.edges)];
    if (problems.length > 0) throw new GraphError(this.name, problems);
    const order = topologicalOrder(this.components, this.edges);
    return { name: this.name, components: order, edges: [...this.edges] };
  }

  private add<I, O>(def: ComponentDef): Node<I, O> {
    this.components.push(def);
    return { name: def.name, kind: def.kind };
  }
}

function validate(components: ComponentDef[], edges: EdgeDef[]): string[] {
  const problems: string[] = [];
  const byName = new Map<string, ComponentDef>();
  for (const c of components) {
    if (!c.name || typeof c.name !== 'string')
      problems.push('a component has an empty name; name every component');
    else if (byName.has(c.name))
      problems.push(`component name '${c.name}' is used twice; names must be unique`);
    else byName.set(c.name, c);
    problems.push(...numberProblems(`'${c.name}' parallelism`, c.parallelism, WHOLE_AT_LEAST_1));
    problems.push(...numberProblems(`'${c.name}' concurrency`, c.concurrency, WHOLE_AT_LEAST_1));
    if (c.queue) problems.push(...validateQueue(c.name, c.queue));
  }
  if (components.length === 0) problems.push('the job has no components; add a source, operators and a sink');
  if (!components.some((c) => c.kind === 'source')) problems.push('the job has no source');
  if (!components.some((c) => c.kind === 'sink')) problems.push('the job has no sink');

  const seen = new Set<string>();
  for (const e of edges) {
    const from = byName.get(e.from);
    const to = byName.get(e.to);
    if (!from) problems.push(`edge ${e.from} -> ${e.to}: no component named '${e.from}' in this job`);
    if (!to) problems.push(`edge ${e.from} -> ${e.to}: no component named '${e.to}' in this job`);
    if (from?.kind === 'sink')
      problems.push(`edge ${e.from} -> ${e.to}: '${e.from}' is a sink and has no output`);
    if (to?.kind === 'source')
      problems.push(`edge ${e.from} -> ${e.to}: '${e.to}' is a source and takes no input`);
    if (e.strategy !== undefined && !STRATEGIES.includes(e.strategy)) {
      problems.push(
        `edge ${e.from} -> ${e.to}: unknown strategy '${e.strategy}'; use one of ${STRATEGIES.join(', ')}`,
      );
    }
    if (e.grouping.kind === 'key' && typeof e.grouping.key !== 'function') {
      problems.push(`edge ${e.from} -> ${e.to}: a key grouping needs a key function`);
    }
    const id = `${e.from}->${e.to}`;
    if (seen.has(id)) problems.push(`edge ${e.from} -> ${e.to} is declared twice`);
    seen.add(id);
  }
  for (const c of byName.values()) {
    if (c.kind !== 'source' && !edges.some((e) => e.to === c.name)) {
      problems.push(`${c.kind} '${c.name}' has no input; connect something to it`);
    }
    if (c.kind !== 'sink' && !edges.some((e) => e.from === c.name)) {
      problems.push(
        `${c.kind} '${c.name}' has an output that goes nowhere; connect it to an operator or a sink`,
      );
    }
  }
  const cycle = findCycle([...byName.keys()], edges);
  if (cycle) problems.push(`the graph has a cycle: ${cycle.join(' -> ')}; stream jobs must be acyclic`);
  return problems;
}

const WHOLE_AT_LEAST_1: NumberRule = { integer: true, min: 1 };

/** The refusal of `value` against `rule`, as a list of none or one problem. */
function numberProblems(what: string, value: unknown, rule: NumberRule): string[] {
  return meetsRule(value, rule) ? [] : [numberMessage(what, value, rule)];
}

function validateQueue(name: string, q: QueueSpec): string[] {
  const problems: string[] = [];
  if (q.capacity !== undefined)
    problems.push(...numberProblems(`'${name}' queue capacity`, q.capacity, WHOLE_AT_LEAST_1));
  if (q.maxBytes !== undefined)
    problems.push(...numberProblems(`'${name}' queue maxBytes`, q.maxBytes, WHOLE_AT_LEAST_1));
  const high = q.high ?? 0.8;
  const low = q.low ?? 0.3;
  problems.push(...numberProblems(`'${name}' high watermark`, high, { positive: true, max: 1 }));
  // The low watermark must stay below the high one, a bound a NumberRule (inclusive) cannot state.
  if (!(meetsRule(low, { min: 0 }) && low < high))
    problems.push(`'${name}' low watermark ${low}; use a fraction >= 0 below high (${high})`);
  return problems;
}

function findCycle(names: string[], edges: EdgeDef[]): string[] | undefined {
  const next = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'open');
    path.push(n);
    for (const m of next.get(n) ?? []) {
      const found = visit(m);
      if (found) return found;
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of names) {
    const found = visit(n);
    if (found) return found;
  }
  return undefined;
}

function topologicalOrder(components: ComponentDef[], edges: EdgeDef[]): ComponentDef[] {
  const indegree = new Map(components.map((c) => [c.name, 0]));
  for (const e of edges) indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
  const ready = components.filter((c) => indegree.get(c.name) === 0);
  const order: ComponentDef[] = [];
  while (ready.length > 0) {
    const c = ready.shift()!;
    order.push(c);
    for (const e of edges) {
      if (e.from !== c.name) continue;
      const d = (indegree.get(e.to) ?? 0) - 1;
      indegree.set(e.to, d);
      if (d === 0) ready.push(components.find((x) => x.name === e.to)!);
    }
  }
  return order;
}
