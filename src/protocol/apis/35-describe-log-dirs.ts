// DescribeLogDirs (API key 35): the log directories of a broker and the size of each partition in them.
// Described from Kafka's DescribeLogDirsRequest/DescribeLogDirsResponse message definitions.
import { defineApi, f } from '../schema.js';

export interface DescribeLogDirsRequest {
  topics: Array<{ topic: string; partitions: number[] }> | null;
}

export interface DescribeLogDirsResponse {
  throttleTimeMs: number;
  errorCode?: number;
  results: Array<{
    errorCode: number;
    logDir: string;
    topics: Array<{
      name: string;
      partitions: Array<{
        partitionIndex: number;
        partitionSize: bigint;
        offsetLag: bigint;
        isFutureKey: boolean;
      }>;
    }>;
    totalBytes?: bigint;
    usableBytes?: bigint;
  }>;
}

export const DescribeLogDirsApi = defineApi<DescribeLogDirsRequest, DescribeLogDirsResponse>({
  key: 35,
  name: 'DescribeLogDirs',
  versions: '0-4',
  flexible: '2+',
  request: [
    f('topics', '[]struct', '0+', {
      nullable: '0+',
      fields: [f('topic', 'string', '0+'), f('partitions', '[]int32', '0+')],
    }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '3+', { default: 0 }),
    f('results', '[]struct', '0+', {
      fields: [
        f('errorCode', 'int16', '0+'),
        f('logDir', 'string', '0+'),
        f('topics', '[]struct', '0+', {
          fields: [
            f('name', 'string', '0+'),
            f('partitions', '[]struct', '0+', {
              fields: [
                f('partitionIndex', 'int32', '0+'),
                f('partitionSize', 'int64', '0+'),
                f('offsetLag', 'int64', '0+'),
                f('isFutureKey', 'bool', '0+'),
              ],
            }),
          ],
        }),
        f('totalBytes', 'int64', '4+', { default: -1n }),
        f('usableBytes', 'int64', '4+', { default: -1n }),
      ],
    }),
  ],
});
