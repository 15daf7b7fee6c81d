import { describe, expect, it } from 'vitest';
import { CreateAhead, StepBatcher } from '../batch.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('StepBatcher', () => {
  it('writes the calls that arrive while a statement runs together, each caller getting its own result', async () => {
    const batches: number[][] = [];
    const batcher = new StepBatcher<number, number>(
      async (items) => {
        batches.push(items);
        await tick();
        return items.map((i) => i * 10);
      },
      async (item) => {
        batches.push([item]);
        return item * 10;
      },
    );
    const first = batcher.run(1);
    await tick(); // the first statement is running
    const rest = [2, 3, 4].map((i) => batcher.run(i));
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('retries a failed batch one by one, so only the bad item fails', async () => {
    const batcher = new StepBatcher<number, number>(
      async () => {
        throw new Error('constraint');
      },
      async (item) => {
        if (item === 2) throw new Error(`item ${item} refused`);
        return item;
      },
    );
    const results = await Promise.allSettled([1, 2, 3].map((i) => batcher.run(i)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: new Error('item 2 refused') },
      { status: 'fulfilled', value: 3 },
    ]);
  });
});

describe('CreateAhead', () => {
  it('creates a chunk at a time, starts the next one halfway, and isolates a failing item', async () => {
    const chunks: number[][] = [];
    const ahead = new CreateAhead<number, string>(
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      async (items) => {
        chunks.push(items);
        if (items.includes(5)) throw new Error('one bad row');
        return items.map(String);
      },
      async (item) => {
        if (item === 5) throw new Error('item 5 refused');
        return String(item);
      },
      4,
    );
    expect(await ahead.get(0)).toBe('0');
    expect(chunks).toEqual([[0, 1, 2, 3]]);
    expect(await ahead.get(2)).toBe('2'); // halfway: the next chunk starts
    await ahead.idle();
    expect(chunks).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(await ahead.get(4)).toBe('4');
    await expect(ahead.get(5)).rejects.toThrow('item 5 refused');
    expect(await ahead.get(9)).toBe('9');
  });
});
