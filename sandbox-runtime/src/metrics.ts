/*
 * Prometheus metrics in the text exposition format (version 0.0.4), written by hand: three
 * counters, a labelled gauge and one histogram do not justify a dependency.
 */

type Labels = Record<string, string>;

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labelText = (l: Labels) => {
  const keys = Object.keys(l).sort();
  return keys.length === 0 ? "" : `{${keys.map((k) => `${k}="${escape(l[k])}"`).join(",")}}`;
};
const num = (n: number) => (n === Infinity ? "+Inf" : String(n));
const header = (name: string, help: string, type: string) => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];

/** A counter or a settable gauge, per label set. */
export class LabelledValue {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge",
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = labelText(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  /** Replaces every series (a gauge rebuilt from the world on each sweep). */
  reset(series: Array<[Labels, number]>): void {
    this.values.clear();
    for (const [l, v] of series) this.values.set(labelText(l), v);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels)) ?? 0;
  }
  render(): string {
    const lines = [...this.values.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${this.name}${k} ${num(v)}`);
    return [...header(this.name, this.help, this.type), ...lines].join("\n");
  }
}

/** A histogram without labels. */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count += 1;
    this.buckets.forEach((b, i) => {
      if (v <= b) this.counts[i] += 1;
    });
  }
  render(): string {
    return [
      ...header(this.name, this.help, "histogram"),
      ...this.buckets.map((b, i) => `${this.name}_bucket{le="${num(b)}"} ${this.counts[i]}`),
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${num(this.sum)}`,
      `${this.name}_count ${this.count}`,
    ].join("\n");
  }
}

/** The service's metrics. */
export class RuntimeMetrics {
  readonly sandboxes = new LabelledValue("sandbox_runtime_sandboxes", "Sandboxes by state (starting, running, paused, error, warm), as of the last sweep.", "gauge");
  readonly startSeconds = new Histogram("sandbox_runtime_start_seconds", "Time from /start (or /resume) to the first running answer.", [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300]);
  readonly errors = new LabelledValue("sandbox_runtime_errors_total", "Failed operations by operation (start, get, pause, resume, stop, sweep, ...).", "counter");
  readonly requests = new LabelledValue("sandbox_runtime_requests_total", "API requests by route and HTTP status.", "counter");
  readonly adoptions = new LabelledValue("sandbox_runtime_warm_adoptions_total", "Starts served by a warm sandbox, by pool.", "counter");

  /** The exposition text. */
  render(): string {
    return `${[this.sandboxes, this.startSeconds, this.errors, this.requests, this.adoptions].map((m) => m.render()).join("\n")}\n`;
  }
}

/** Content-Type of the text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
