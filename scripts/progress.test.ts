import { describe, expect, it } from 'vitest';
import { PLAIN_MS, type Progress, ProgressDisplay, progressLine, REDRAW_MS } from './progress.js';

const long: Progress = { name: 'uvm-va-space/concurrentMemAllocFree', runsDone: 123_400, total: 1_000_000, elapsedMs: 61_000 };

describe('progressLine fits the terminal', () => {
  it('shows the bar, the name, the runs, the rate and the time left when there is room', () => {
    const line = progressLine({ name: 'dma-pool/poolLifecycle', runsDone: 500, total: 1000, elapsedMs: 1000 }, 200);
    expect(line).toBe('[############............] dma-pool/poolLifecycle 500/1000 runs, 500 runs/s, 1 s left');
  });

  it('never reaches the last column, whatever the width', () => {
    for (const p of [long, { ...long, total: Infinity, timeLimitMs: 600_000 }, { ...long, name: 'x'.repeat(300) }]) {
      for (let columns = 1; columns <= 160; columns++) expect(progressLine(p, columns).length, `${columns} columns`).toBeLessThan(Math.max(2, columns));
    }
  });

  it('narrower, gives up the bar, then the time left, then the rate, then the end of the name', () => {
    const all = 'uvm-va-space/concurrentMemAllocFree 123400/1000000 runs, 2023 runs/s, 433 s left'; // 80 characters
    const noLeft = 'uvm-va-space/concurrentMemAllocFree 123400/1000000 runs, 2023 runs/s';
    const bare = 'uvm-va-space/concurrentMemAllocFree 123400/1000000 runs';
    expect(progressLine(long, 120)).toBe(`[###.....................] ${all}`);
    expect(progressLine(long, 100)).toBe(`[##..............] ${all}`);
    expect(progressLine(long, 81)).toBe(all);
    expect(progressLine(long, 80)).toBe(`[#.......] ${noLeft}`);
    expect(progressLine(long, 70)).toBe(noLeft);
    expect(progressLine(long, 69)).toBe(noLeft);
    expect(progressLine(long, 68)).toBe(`[#........] ${bare}`); // room again for a bar once the rate is gone
    expect(progressLine(long, 66)).toBe(bare);
    expect(progressLine(long, 40)).toBe('uvm-va-space/concu… 123400/1000000 runs') // 39 characters;
    expect(progressLine(long, 12)).toBe('123400/1000');
  });

  it('counts the rate from the runs of this process only, and shows time left of a timed search', () => {
    expect(progressLine({ name: 'a/b', runsDone: 1100, base: 1000, total: Infinity, elapsedMs: 1000, timeLimitMs: 10_000 }, 200)).toBe(
      '[##......................] a/b 1100 runs, 100 runs/s, 9 s left',
    );
  });
});

describe('ProgressDisplay', () => {
  const fake = (isTTY: boolean, columns?: number) => {
    const writes: string[] = [];
    const plain: string[] = [];
    let t = 0;
    const stream = { isTTY, columns, write: (s: string) => writes.push(s) };
    const clock = { advance: (ms: number) => (t += ms), now: () => t };
    return { writes, plain, clock, display: new ProgressDisplay(stream, isTTY, (l) => plain.push(l), clock.now) };
  };
  const at = (runsDone: number): Progress => ({ name: 'a/b', runsDone, total: 1000, elapsedMs: runsDone });

  it('redraws on a terminal at most every REDRAW_MS, fitted to its width, and erases the line when done', () => {
    const { writes, plain, clock, display } = fake(true, 30);
    for (let i = 1; i <= 100; i++) {
      display.update(at(i));
      clock.advance(10); // a batch every 10 ms: 100 batches in one second
    }
    expect(writes.length).toBe(Math.ceil((100 * 10) / REDRAW_MS));
    for (const w of writes) {
      expect(w.startsWith('\r') && w.endsWith('\x1b[K')).toBe(true);
      expect(w.length - '\r\x1b[K'.length).toBeLessThan(30);
    }
    display.done();
    expect(writes.at(-1)).toBe('\r\x1b[K');
    expect(plain).toEqual([]);
  });

  it('writes plain lines every PLAIN_MS when not on a terminal, and nothing to erase', () => {
    const { writes, plain, clock, display } = fake(false);
    for (let i = 1; i <= 120; i++) {
      clock.advance(100);
      display.update(at(i));
    }
    expect(plain.length).toBe(Math.floor((120 * 100) / PLAIN_MS));
    expect(plain[0]).toMatch(/^ {2}\[[#.]{24}\] a\/b 50\/1000 runs/);
    display.done();
    expect(writes).toEqual([]);
  });
});
