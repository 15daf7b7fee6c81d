/**
 * Group commit for the billing job's steps. The tenants billed at the same time each record their own steps in
 * order, but a step asked for while the previous statement of its kind is still running waits for it and is then
 * written together with the others that arrived meanwhile: one statement for many invoices instead of one each.
 * On the embedded database every statement is a round trip through one single-threaded queue, so the statement
 * count, not the rows, decides how long a run takes.
 *
 * Each caller's promise settles only once its own row is written (committed), so a step is still recorded before
 * the tenant's next one starts, and a crash anywhere leaves every invoice at a recorded step.
 */
export class StepBatcher<In, Out> {
  private readonly waiting: { item: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] =
    [];
  private running = false;

  /**
   * @param many writes several items at once; results in the order of the items. If it throws, nothing of the
   *   batch may have been written (one statement or one transaction).
   * @param one writes one item (by default `many` of it alone): used alone, and to retry a failed batch item by
   *   item, so one bad row fails only its own tenant.
   */
  constructor(
    private readonly many: (items: In[]) => Promise<Out[]>,
    private readonly one: (item: In) => Promise<Out> = async (item) => (await many([item]))[0]!,
    private readonly maxBatch = 100,
  ) {}

  run(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.start();
    });
  }

  private start(): void {
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
    // Let the callers of this turn of the event loop join the first batch.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const batch = this.waiting.splice(0, this.maxBatch);
    try {
      let results: Out[] | undefined;
      if (batch.length > 1) {
        try {
          results = await this.many(batch.map((b) => b.item));
        } catch {
          // One item's error (a constraint, say) fails the whole statement: find it by writing them one by one.
        }
      }
      if (results) {
        for (const [i, b] of batch.entries()) b.resolve(results[i]!);
      } else {
        for (const b of batch) {
          try {
            b.resolve(await this.one(b.item));
          } catch (error) {
            b.reject(error);
          }
        }
      }
    } finally {
      this.running = false;
      this.start();
    }
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Creates the invoices of a run's tenants ahead of their other steps, `chunk` tenants per transaction instead of
 * one each: creating an invoice is the costliest statement of a tenant's steps, and its cost per invoice falls
 * steeply with the batch. The next chunk is started when the tenants reach the middle of the current one, so at
 * most two chunks of invoices exist ahead of the tenants being billed (a crash leaves them `pending`, and the
 * next run finishes them like any unfinished invoice).
 */
export class CreateAhead<In, Out> {
  private readonly chunks = new Map<number, Promise<Settled<Out>[]>>();

  /**
   * @param many creates several at once, results in their order; if it throws, none was created.
   * @param one creates one (by default `many` of it alone): used to retry a failed chunk item by item, so one bad
   *   row fails only its tenant.
   */
  constructor(
    private readonly items: readonly In[],
    private readonly many: (items: In[]) => Promise<Out[]>,
    private readonly one: (item: In) => Promise<Out> = async (item) => (await many([item]))[0]!,
    private readonly chunk = 100,
  ) {}

  /** The result for `items[index]`. */
  async get(index: number): Promise<Out> {
    const c = Math.floor(index / this.chunk);
    if (index % this.chunk === Math.floor(this.chunk / 2)) void this.load(c + 1);
    const result = (await this.load(c))[index - c * this.chunk]!;
    if (!result.ok) throw result.error;
    return result.value;
  }

  /** Resolves once no chunk is being written any more (call before the run lets go of its lock). */
  async idle(): Promise<void> {
    await Promise.all(this.chunks.values());
  }

  private load(c: number): Promise<Settled<Out>[]> {
    let loading = this.chunks.get(c);
    if (!loading) {
      loading = this.create(this.items.slice(c * this.chunk, (c + 1) * this.chunk));
      this.chunks.set(c, loading);
    }
    return loading;
  }

  private async create(items: In[]): Promise<Settled<Out>[]> {
    if (items.length === 0) return [];
    try {
      return (await this.many(items)).map((value) => ({ ok: true, value }));
    } catch {
      const results: Settled<Out>[] = [];
      for (const item of items) {
        try {
          results.push({ ok: true, value: await this.one(item) });
        } catch (error) {
          results.push({ ok: false, error });
        }
      }
      return results;
    }
  }
}
