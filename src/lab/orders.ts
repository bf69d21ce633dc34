/**
 * Realistic-looking orders for the `orders` topic. Deterministic for a given seed (a small xorshift),
 * so a test or a soak run can be repeated record for record; ids are unique per generator instance.
 */

export interface Order {
  id: string;
  customer: string;
  amount: number;
  currency: string;
  items: number;
  created_at: string;
}

const CUSTOMERS = 500;

export class OrderGenerator {
  private state: number;
  private seq = 0;
  private readonly prefix: string;

  constructor(
    private readonly now: () => number,
    seed = 0x9e3779b9,
  ) {
    this.state = seed >>> 0 || 1;
    this.prefix = (seed >>> 0).toString(36);
  }

  next(): Order {
    const r1 = this.random();
    const r2 = this.random();
    this.seq++;
    return {
      id: `ord-${this.prefix}-${this.seq.toString().padStart(8, '0')}`,
      customer: `cust-${Math.floor(r1 * CUSTOMERS)
        .toString()
        .padStart(4, '0')}`,
      // Most orders are small, a few are large: a skewed distribution from 5 to ~500.
      amount: Math.round((5 + 495 * r2 * r2) * 100) / 100,
      currency: 'EUR',
      items: 1 + Math.floor(r1 * 7),
      created_at: new Date(this.now()).toISOString(),
    };
  }

  get generated(): number {
    return this.seq;
  }

  private random(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x100000000;
  }
}
