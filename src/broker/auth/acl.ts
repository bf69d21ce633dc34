import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AclBindingFilter } from '../../protocol/apis/29-describe-acls.js';

/**
 * Kafka's ACL model (the codes of `ResourceType`, `PatternType`, `AclOperation`, `AclPermissionType`)
 * and the semantics of its standard authorizer: super users may do anything; a matching DENY beats any
 * ALLOW; ALL matches every operation; READ, WRITE, DELETE and ALTER imply DESCRIBE, ALTER_CONFIGS implies
 * DESCRIBE_CONFIGS; `User:*` and host `*` match anyone; a LITERAL `*` matches every resource of its type;
 * PREFIXED matches names that start with the pattern. With no matching ALLOW, the answer is no.
 */

export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;

export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;

export const AclPermission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The one cluster resource's name, as Kafka spells it. */
export const CLUSTER_RESOURCE = 'kafka-cluster';
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export const ACLS_FILE = 'acls.json';

/** Why a binding cannot be stored (Kafka answers INVALID_REQUEST with this text). */
export function bindingProblem(b: AclBinding): string | null {
  const concreteTypes: number[] = [2, 3, 4, 5, 6, 7];
  if (!concreteTypes.includes(b.resourceType))
    return `resource type ${b.resourceType} is not a concrete type`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) {
    return `pattern type ${b.patternType} must be LITERAL (3) or PREFIXED (4)`;
  }
  if (b.operation < AclOperation.ALL || b.operation > AclOperation.DESCRIBE_TOKENS) {
    return `operation ${b.operation} is not a concrete operation`;
  }
  if (b.permissionType !== AclPermission.ALLOW && b.permissionType !== AclPermission.DENY) {
    return `permission type ${b.permissionType} must be ALLOW (3) or DENY (2)`;
  }
  if (!/^[^:]+:.+$/.test(b.principal))
    return `principal "${b.principal}" must be written Type:name, e.g. User:alice`;
  if (b.resourceName === '') return 'resource name must not be empty';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_RESOURCE) {
    return `the cluster resource is named ${CLUSTER_RESOURCE}`;
  }
  return null;
}

function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return (
    a.resourceType === b.resourceType &&
    a.resourceName === b.resourceName &&
    a.patternType === b.patternType &&
    a.principal === b.principal &&
    a.host === b.host &&
    a.operation === b.operation &&
    a.permissionType === b.permissionType
  );
}

/** Does a stored binding match a Describe/DeleteAcls filter (Kafka's AclBindingFilter.matches)? */
export function filterMatches(filter: AclBindingFilter, b: AclBinding): boolean {
  if (filter.resourceTypeFilter !== ResourceType.ANY && filter.resourceTypeFilter !== b.resourceType)
    return false;
  if (filter.principalFilter !== null && filter.principalFilter !== b.principal) return false;
  if (filter.hostFilter !== null && filter.hostFilter !== b.host) return false;
  if (filter.operation !== AclOperation.ANY && filter.operation !== b.operation) return false;
  if (filter.permissionType !== AclPermission.ANY && filter.permissionType !== b.permissionType) return false;
  const name = filter.resourceNameFilter;
  // DescribeAcls/DeleteAcls v0 have no pattern type: their filters match literal resource names.
  const patternType = filter.patternTypeFilter ?? PatternType.LITERAL;
  switch (patternType) {
    case PatternType.ANY:
      return name === null || name === b.resourceName;
    case PatternType.MATCH:
      // Every binding that would apply to the named resource.
      return name === null || resourceMatches(b, name);
    default:
      return patternType === b.patternType && (name === null || name === b.resourceName);
  }
}

function resourceMatches(b: AclBinding, name: string): boolean {
  if (b.patternType === PatternType.PREFIXED) return name.startsWith(b.resourceName);
  return b.resourceName === name || b.resourceName === WILDCARD;
}

function operationMatches(aclOp: number, wanted: number, permission: number): boolean {
  if (aclOp === AclOperation.ALL || aclOp === wanted) return true;
  // Implications apply to ALLOW only: a DENY on READ does not deny DESCRIBE (Kafka's rule).
  if (permission !== AclPermission.ALLOW) return false;
  if (wanted === AclOperation.DESCRIBE) {
    const implying: number[] = [
      AclOperation.READ,
      AclOperation.WRITE,
      AclOperation.DELETE,
      AclOperation.ALTER,
    ];
    return implying.includes(aclOp);
  }
  if (wanted === AclOperation.DESCRIBE_CONFIGS) return aclOp === AclOperation.ALTER_CONFIGS;
  return false;
}

export interface AuthorizeRequest {
  principal: string;
  host: string;
  operation: number;
  resourceType: number;
  resourceName: string;
}

/** The ACL bindings, persisted as JSON in the data dir, and the decisions made from them. */
export class AclStore {
  private constructor(
    private bindings: AclBinding[],
    private readonly file: string | undefined,
  ) {}

  static inMemory(): AclStore {
    return new AclStore([], undefined);
  }

  static async open(dataDir: string): Promise<AclStore> {
    const file = join(dataDir, ACLS_FILE);
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { acls: AclBinding[] };
      return new AclStore(parsed.acls ?? [], file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new AclStore([], file);
      throw new Error(`cannot read the ACL file ${file}: ${(err as Error).message}`);
    }
  }

  get size(): number {
    return this.bindings.length;
  }

  /** Adds bindings (an existing identical binding is kept once). */
  async add(bindings: AclBinding[]): Promise<void> {
    for (const b of bindings) if (!this.bindings.some((x) => sameBinding(x, b))) this.bindings.push(b);
    await this.save();
  }

  describe(filter: AclBindingFilter): AclBinding[] {
    return this.bindings.filter((b) => filterMatches(filter, b));
  }

  /** Removes and returns the bindings each filter matches. */
  async remove(filters: AclBindingFilter[]): Promise<AclBinding[][]> {
    const removed = filters.map((f) => this.bindings.filter((b) => filterMatches(f, b)));
    const gone = new Set(removed.flat());
    if (gone.size > 0) {
      this.bindings = this.bindings.filter((b) => !gone.has(b));
      await this.save();
    }
    return removed;
  }

  /** Kafka's decision: a matching DENY refuses, else a matching ALLOW grants, else refused. */
  authorize(req: AuthorizeRequest): boolean {
    let allowed = false;
    for (const b of this.bindings) {
      if (b.resourceType !== req.resourceType) continue;
      if (!resourceMatches(b, req.resourceName)) continue;
      if (b.principal !== req.principal && b.principal !== WILDCARD_PRINCIPAL) continue;
      if (b.host !== WILDCARD && b.host !== req.host) continue;
      if (!operationMatches(b.operation, req.operation, b.permissionType)) continue;
      if (b.permissionType === AclPermission.DENY) return false;
      allowed = true;
    }
    return allowed;
  }

  /** True if some resource of the type is allowed the operation and none of those bindings is a DENY on `*`. */
  allowsAny(principal: string, host: string, operation: number, resourceType: number): boolean {
    const applies = (b: AclBinding) =>
      b.resourceType === resourceType &&
      (b.principal === principal || b.principal === WILDCARD_PRINCIPAL) &&
      (b.host === WILDCARD || b.host === host) &&
      operationMatches(b.operation, operation, b.permissionType);
    const deniedEverywhere = this.bindings.some(
      (b) => applies(b) && b.permissionType === AclPermission.DENY && b.resourceName === WILDCARD,
    );
    return (
      !deniedEverywhere && this.bindings.some((b) => applies(b) && b.permissionType === AclPermission.ALLOW)
    );
  }

  /** True if any binding at all names this resource (for allow.everyone.if.no.acl.found). */
  hasAclsFor(resourceType: number, resourceName: string): boolean {
    return this.bindings.some((b) => b.resourceType === resourceType && resourceMatches(b, resourceName));
  }

  private async save(): Promise<void> {
    if (!this.file) return;
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ version: 1, acls: this.bindings }, null, 2)}\n`);
    await rename(tmp, this.file);
  }
}
