/** Kafka reports a member's host as Java prints an InetAddress: "/127.0.0.1". */
export function clientHostOf(remote: string): string {
  const host = remote.startsWith('[') ? remote.slice(1, remote.indexOf(']')) : remote.replace(/:\d+$/, '');
  return `/${host.replace(/^::ffff:/, '')}`;
}
