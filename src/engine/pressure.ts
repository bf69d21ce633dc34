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

export type ThrashingVerdict = 'ok' | 'thrashing' | 'stuck';

export interface ThrashingFinding {
  instance: string;
  queue: string;
  verdict: ThrashingVerdict;
  /** Declare/relieve flips inside the detector's window. */
  flips: number;
  /** Backpressure declared on this queue since the run started. */
  declarations: number;
  /** The detector's sentence (or why the queue is called stuck). */
  summary: string;
}
