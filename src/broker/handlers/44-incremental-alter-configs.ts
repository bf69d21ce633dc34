import { ConfigResourceType } from '../../protocol/apis/32-describe-configs.js';
import type {
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from '../../protocol/apis/44-incremental-alter-configs.js';
import { IncrementalAlterConfigsApi } from '../../protocol/apis/44-incremental-alter-configs.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, type RequestContext, serves } from '../api-handler.js';
import { configDenied, Op } from '../auth/authorize.js';
import { type ConfigEntry, TopicStoreError } from '../topic-store.js';

type Resource = IncrementalAlterConfigsRequest['resources'][number];
type Answer = IncrementalAlterConfigsResponse['responses'][number];

/** Kafka's AlterConfigOp.OpType ids. */
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

/**
 * IncrementalAlterConfigs 0-1 (what kafka-configs and Admin.incrementalAlterConfigs send): changes only
 * the configs named, for a topic, or as dynamic broker configs (log.retention.ms…) for this broker by
 * id or for the cluster default (the empty name), which every topic without its own value follows.
 * APPEND and SUBTRACT edit list configs such as cleanup.policy.
 */
export const incrementalAlterConfigsHandler: ApiHandler<
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse
> = {
  ...serves(IncrementalAlterConfigsApi, 0, 1),
  async handle(request, ctx) {
    const responses: Answer[] = [];
    for (const r of request.resources) {
      const denied = configDenied(ctx, Op.ALTER_CONFIGS, r.resourceType, r.resourceName);
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      responses.push(
        denied !== null
          ? { ...base, errorCode: denied, errorMessage: 'Authorization failed.' }
          : await alterResource(ctx, r, request.validateOnly),
      );
    }
    return { throttleTimeMs: 0, responses };
  },
};

async function alterResource(ctx: RequestContext, r: Resource, validateOnly: boolean): Promise<Answer> {
  const base = { resourceType: r.resourceType, resourceName: r.resourceName };
  const fail = (errorCode: number, errorMessage: string) => ({ ...base, errorCode, errorMessage });
  const { store, config } = ctx.broker;
  const isTopic = r.resourceType === ConfigResourceType.Topic;
  if (isTopic && store.partitionCount(r.resourceName) === undefined)
    return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic "${r.resourceName}"`);
  if (isTopic && ctx.broker.isInternalTopic(r.resourceName))
    return fail(
      ErrorCode.INVALID_REQUEST,
      `the configs of internal topic ${r.resourceName} are the broker's own`,
    );
  const brokerScope =
    r.resourceName === '' ? 'default' : r.resourceName === String(config.nodeId) ? 'broker' : undefined;
  if (!isTopic && (r.resourceType !== ConfigResourceType.Broker || brokerScope === undefined))
    return fail(ErrorCode.INVALID_REQUEST, `unsupported resource ${r.resourceType}/${r.resourceName}`);
  const current = isTopic ? store.describeConfigs(r.resourceName) : [];
  const changes = changesFor(r.configs, current);
  if (typeof changes === 'string') return fail(ErrorCode.INVALID_CONFIG, changes);
  try {
    if (isTopic) await store.alterConfigs(r.resourceName, changes, { replace: false, validateOnly });
    else await store.alterBrokerConfigs(brokerScope!, changes, validateOnly);
  } catch (err) {
    if (!(err instanceof TopicStoreError)) throw err;
    return fail(err.errorCode, err.message);
  }
  if (!validateOnly) ctx.broker.log.info({ resource: base, changes }, 'configs altered');
  return { ...base, errorCode: 0, errorMessage: null };
}

/** The new value of each config named (null: back to its default), or what was wrong with the request. */
function changesFor(
  ops: Resource['configs'],
  current: ConfigEntry[],
): Record<string, string | null> | string {
  const changes: Record<string, string | null> = {};
  for (const op of ops) {
    if (op.name in changes) return `config "${op.name}" appears more than once`;
    const list = (current.find((e) => e.name === op.name)?.value ?? '').split(',').filter(Boolean);
    const items = (op.value ?? '').split(',').filter(Boolean);
    if (op.configOperation === SET) changes[op.name] = op.value;
    else if (op.configOperation === DELETE) changes[op.name] = null;
    else if (op.configOperation === APPEND)
      changes[op.name] = [...list, ...items.filter((i) => !list.includes(i))].join(',');
    else if (op.configOperation === SUBTRACT)
      changes[op.name] = list.filter((i) => !items.includes(i)).join(',');
    else
      return `unknown operation ${op.configOperation} for "${op.name}" (0 set, 1 delete, 2 append, 3 subtract)`;
  }
  return changes;
}
