/**
 * Choosing the group's protocol (for consumers: the partition assignor) without knowing what any of the
 * protocols mean. Kafka's rule: only protocols every member supports are candidates; each member votes
 * for the candidate it lists first; the most votes win.
 */
export interface ProtocolChoice {
  name: string;
  metadata: Buffer;
}

interface ProtocolVoter {
  /** In the member's order of preference. */
  protocols: readonly ProtocolChoice[];
}

/** Protocol names every voter supports, in the first voter's order of preference. */
function commonProtocols(voters: readonly ProtocolVoter[]): string[] {
  if (voters.length === 0) return [];
  const [first, ...rest] = voters;
  return first.protocols
    .map((p) => p.name)
    .filter((name) => rest.every((v) => v.protocols.some((p) => p.name === name)));
}

/**
 * Whether a joining member's protocols fit a group: an empty group accepts any non-empty list with a
 * protocol type; otherwise the type must match and at least one protocol must be common to everyone.
 */
export function protocolsFit(
  groupProtocolType: string | null,
  members: readonly ProtocolVoter[],
  protocolType: string,
  protocols: readonly ProtocolChoice[],
): boolean {
  if (protocolType === '' || protocols.length === 0) return false;
  if (members.length === 0) return true;
  if (groupProtocolType !== protocolType) return false;
  const common = new Set(commonProtocols(members));
  return protocols.some((p) => common.has(p.name));
}

/** The protocol the group will use, or undefined when the members have none in common. */
export function selectProtocol(voters: readonly ProtocolVoter[]): string | undefined {
  const candidates = commonProtocols(voters);
  if (candidates.length === 0) return undefined;
  const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
  for (const v of voters) {
    const choice = v.protocols.find((p) => votes.has(p.name));
    if (choice) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
  }
  // Ties go to the candidate listed earlier, so the outcome never depends on map iteration quirks.
  let best = candidates[0];
  for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
  return best;
}
