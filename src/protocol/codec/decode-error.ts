/** ProtocolDecodeError: what every decoding failure becomes, whatever the input. */
export type ProtocolDecodeErrorReason = 'truncated' | 'invalid' | 'unknown-api' | 'unsupported-version';

/**
 * A frame we cannot decode. The broker closes the connection (the stream can no longer be trusted), except
 * for ApiVersions with an unsupported version, which it answers with `encodeApiVersionsFallback`.
 * `apiKey`, `apiVersion` and `correlationId` are set when the header could be read.
 */
export class ProtocolDecodeError extends Error {
  override readonly name = 'ProtocolDecodeError';
  readonly reason: ProtocolDecodeErrorReason;
  apiKey?: number;
  apiVersion?: number;
  correlationId?: number;

  constructor(reason: ProtocolDecodeErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

export function truncated(what: string, pos: number, need: number, end: number): ProtocolDecodeError {
  return new ProtocolDecodeError(
    'truncated',
    `frame ends early: ${what} at byte ${pos} needs ${need} bytes but only ${Math.max(0, end - pos)} remain`,
  );
}

export function invalid(message: string): ProtocolDecodeError {
  return new ProtocolDecodeError('invalid', message);
}
