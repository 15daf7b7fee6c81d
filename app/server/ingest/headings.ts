/** Keeps the stack of open headings while a parser walks a document top to bottom. */
export class HeadingTrail {
  private readonly open: Array<{ level: number; title: string }> = [];

  /** Enters a heading of `level` (1 = outermost); returns the path that ends with it. */
  enter(level: number, title: string): string[] {
    while (this.open.length > 0 && this.open[this.open.length - 1]!.level >= level) this.open.pop();
    this.open.push({ level, title });
    return this.path();
  }

  path(): string[] {
    return this.open.map((heading) => heading.title);
  }
}
