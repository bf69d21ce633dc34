import { statfsSync } from 'node:fs';
import type {
  DescribeLogDirsRequest,
  DescribeLogDirsResponse,
} from '../../protocol/apis/35-describe-log-dirs.js';
import { DescribeLogDirsApi } from '../../protocol/apis/35-describe-log-dirs.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, type RequestContext, serves } from '../api-handler.js';
import { mayCluster, Op } from '../auth/authorize.js';

type TopicResult = DescribeLogDirsResponse['results'][number]['topics'][number];

/**
 * DescribeLogDirs 1-4 (kafka-log-dirs --describe, Admin.describeLogDirs): the broker's one log directory
 * (its data dir) with the real byte size of each partition asked for (null: every partition), and, from
 * v4, the file system's total and usable bytes. Topics or partitions that do not exist are left out,
 * as Kafka does. A broker in memory reports its data dir name with sizes in memory and no disk figures.
 */
export const describeLogDirsHandler: ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse> = {
  ...serves(DescribeLogDirsApi, 1, 4),
  handle(request, ctx) {
    if (!mayCluster(ctx, Op.DESCRIBE)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    }
    const { dataDir, durability } = ctx.broker.config;
    const disk = durability === 'memory' ? undefined : diskBytes(dataDir);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      results: [
        {
          errorCode: 0,
          logDir: dataDir,
          topics: partitionSizes(ctx, request.topics),
          totalBytes: disk?.total ?? -1n,
          usableBytes: disk?.usable ?? -1n,
        },
      ],
    };
  },
};

function partitionSizes(ctx: RequestContext, asked: DescribeLogDirsRequest['topics']): TopicResult[] {
  const { store } = ctx.broker;
  const wanted =
    asked ??
    store.topicNames().map((topic) => ({
      topic,
      partitions: Array.from({ length: store.partitionCount(topic) ?? 0 }, (_, i) => i),
    }));
  return wanted
    .map((t) => ({
      name: t.topic,
      partitions: t.partitions.flatMap((partitionIndex) => {
        const log = store.partition(t.topic, partitionIndex);
        return log
          ? [{ partitionIndex, partitionSize: BigInt(log.sizeBytes), offsetLag: 0n, isFutureKey: false }]
          : [];
      }),
    }))
    .filter((t) => t.partitions.length > 0);
}

function diskBytes(dir: string): { total: bigint; usable: bigint } | undefined {
  try {
    const s = statfsSync(dir, { bigint: true });
    return { total: s.blocks * s.bsize, usable: s.bavail * s.bsize };
  } catch {
    return undefined;
  }
}
