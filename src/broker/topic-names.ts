/** Kafka's topic name rule: 1-249 characters from [a-zA-Z0-9._-], and not "." or "..". */
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Why `name` is not a legal topic name, or null if it is. */
export function topicNameProblem(name: string | null | undefined): string | null {
  if (name === null || name === undefined || name.length === 0) return 'topic name is empty';
  if (name.length > 249) return `topic name is ${name.length} characters long; the limit is 249`;
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`;
  if (!LEGAL.test(name)) return `topic name "${name}" may only contain letters, digits, '.', '_' and '-'`;
  return null;
}
