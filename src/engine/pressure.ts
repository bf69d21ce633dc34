/** Where backpressure was declared: which instance could not keep up, and which queue showed it. */
export interface PressureCause {
  instance: string;
  component: string;
  queue: string;
  /** Fill level (0..1) when declared. */
  level: number;
  since: number;
}

export interface PressureEvent {
  at: number;
  type: 'declared' | 'relieved';
  instance: string;
  queue: string;
  level: number;
}

/** The engine's backpressure state: `declared` while at least one queue is above its high watermark. */
export interface BackpressureState {
  state: 'clear' | 'declared';
  causes: PressureCause[];
  /** Times the state was declared and relieved since the run started, over all queues. */
  declarations: number;
  reliefs: number;
}

/**
 * - `thrashing`: declared and relieved over and over (the instance cannot keep up; stop/resume hides it)
 * - `sustained`: declared and never relieved while the instance keeps working (permanent overload)
 * - `stuck`: declared and never relieved while the instance processes nothing (it stopped working)
 * - `ok`: pressure came and went
 */
export type ThrashingVerdict = 'ok' | 'thrashing' | 'sustained' | 'stuck';

export interface ThrashingFinding {
  instance: string;
  queue: string;
  verdict: ThrashingVerdict;
  /** Declare/relieve flips inside the detector's window. */
  flips: number;
  /** Backpressure declared on this queue since the run started. */
  declarations: number;
  /** The detector's sentence (or why the queue is called sustained or stuck). */
  summary: string;
  /**
   * True when the instance itself is not backpressured: the queue is full because this instance is
   * slow, not because it waits on something further down.
   */
  root: boolean;
}
