/*
 * Prometheus metrics in the text exposition format (version 0.0.4), written by hand: a
 * handful of counters, gauges and one histogram do not justify a dependency.
 */

type Labels = Record<string, string>;

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labelText = (l: Labels) => {
  const keys = Object.keys(l).sort();
  return keys.length === 0 ? "" : `{${keys.map((k) => `${k}="${escape(l[k])}"`).join(",")}}`;
};
const num = (n: number) => (Number.isInteger(n) ? String(n) : n === Infinity ? "+Inf" : String(n));

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
  ) {}
  abstract samples(): string[];
  render(): string {
    return [`# HELP ${this.name} ${this.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()].join("\n");
  }
}

/** A counter, per label set. */
export class Counter extends Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }
  inc(labels: Labels = {}, by = 1): void {
    const k = labelText(labels);
    const v = this.values.get(k) ?? { labels, value: 0 };
    v.value += by;
    this.values.set(k, v);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  samples(): string[] {
    return [...this.values.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${this.name}${k} ${num(v.value)}`);
  }
}

/** A gauge read from a function at scrape time, or set. */
export class Gauge extends Metric {
  private value = 0;
  constructor(
    name: string,
    help: string,
    private readonly read?: () => number,
  ) {
    super(name, help, "gauge");
  }
  set(v: number): void {
    this.value = v;
  }
  get(): number {
    return this.read ? this.read() : this.value;
  }
  samples(): string[] {
    return [`${this.name} ${num(this.get())}`];
  }
}

/** A histogram without labels. */
export class Histogram extends Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    name: string,
    help: string,
    private readonly buckets: readonly number[],
  ) {
    super(name, help, "histogram");
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count += 1;
    this.buckets.forEach((b, i) => {
      if (v <= b) this.counts[i] += 1;
    });
  }
  samples(): string[] {
    return [
      ...this.buckets.map((b, i) => `${this.name}_bucket{le="${num(b)}"} ${this.counts[i]}`),
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${num(this.sum)}`,
      `${this.name}_count ${this.count}`,
    ];
  }
}

/** The operator's metrics. */
export class OperatorMetrics {
  readonly reconcileTotal = new Counter("ollama_fleet_reconcile_total", "Reconcile passes by result (ready, progressing, degraded, invalid, absent, error).");
  readonly errorsTotal = new Counter("ollama_fleet_reconcile_errors_total", "Reconcile passes that failed and were retried with backoff.");
  readonly reconcileDuration = new Histogram("ollama_fleet_reconcile_duration_seconds", "Duration of reconcile passes.", [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
  readonly fleets: Gauge;
  readonly queueDepth: Gauge;
  readonly leader: Gauge;

  constructor(read: { fleets: () => number; queueDepth: () => number; leader: () => boolean }) {
    this.fleets = new Gauge("ollama_fleet_fleets", "OllamaFleets in the watched namespaces.", read.fleets);
    this.queueDepth = new Gauge("ollama_fleet_workqueue_depth", "Fleet keys waiting to be reconciled.", read.queueDepth);
    this.leader = new Gauge("ollama_fleet_leader", "1 when this replica holds the leader lease.", () => (read.leader() ? 1 : 0));
  }

  /** The exposition text. */
  render(): string {
    return `${[this.reconcileTotal, this.errorsTotal, this.reconcileDuration, this.fleets, this.queueDepth, this.leader].map((m) => m.render()).join("\n")}\n`;
  }
}

/** Content-Type of the text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
