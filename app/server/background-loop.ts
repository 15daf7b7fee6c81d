/**
 * Runs `pass` every `intervalMs` and whenever kicked, never two at once: a kick during a pass runs one more pass
 * after it (the work it signals may have arrived too late for the running one). Nothing runs after stop().
 */
export class BackgroundLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  /** True once stop() was called: a long pass checks it to end early. */
  get stopping() {
    return this.stopped;
  }

  start() {
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
    this.kick();
  }

  kick() {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves once no pass is running, including one a kick queued behind it. */
  async idle() {
    while (this.running) await this.running;
  }

  /** Stops the timer and waits for a running pass. */
  async stop() {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
