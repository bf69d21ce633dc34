// DescribeLogDirs (API key 35): the log directories of a broker and the size of each partition in them.
// Described from Kafka's DescribeLogDirsRequest/DescribeLogDirsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const DescribeLogDirsApi = defineApi({
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

export type DescribeLogDirsRequest = RequestOf<typeof DescribeLogDirsApi>;
export type DescribeLogDirsResponse = ResponseOf<typeof DescribeLogDirsApi>;
