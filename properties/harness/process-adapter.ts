// An implementation in another process, speaking newline-delimited JSON on its stdin and stdout
// (docs/conformance.md). One child process is kept across runs; each run starts with a `reset`, sent in the
// same write as the run's first operation, so a run costs one round trip per operation.
//
// A request is synchronous for the interpreter and costs two context switches: the main thread writes it into
// the child's stdin and blocks reading the child's stdout, both named pipes (FIFOs) it holds open. A worker
// thread (process-worker.mjs) watches what a blocking reader cannot: the child's exit status and signal, its
// stderr, and the deadline of the request in flight. When the child exits, or a request outlives its timeout
// (the child's whole process group is then killed), the worker writes a marker line into the stdout pipe,
// which wakes the read. So a crash, an exit, a hang, a sanitizer report or a malformed line each becomes an
// ImplementationFailure with a clear message, never a crash or a hang of the suite. A child that failed is
// started again at the next reset, with whatever it left in the pipes drained.

import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Operation, Value } from '../../model/common/values.js';
import { toJson } from '../../model/common/values.js';
import { type AdapterStats, type Implementation, ImplementationFailure, type ImplResponse, type OpenOptions } from './implementation.js';
import { sanitizerReport, symbolize } from './sanitizer-report.js';

/** A marker line from the watcher: `\0gpumem:exit:<pid>` or `\0gpumem:timeout:<pid>`, about the child of that pid. */
const MARK = '\u0000gpumem:';
/**
 * Longest answer line accepted, in bytes (docs/conformance.md): a longer one is a protocol violation, reported as
 * soon as that much has arrived without a newline, rather than buffered without end.
 */
export const MAX_LINE = 4 * 1024 * 1024;
const PAYLOAD_BYTES = 1024 * 1024;
/** How long the main thread waits for the worker's account of an exit (stderr included). */
const STATUS_WAIT_MS = 10_000;
export const DEFAULT_TIMEOUT_MS = 5000;

type WorkerAnswer =
  | { kind: 'spawned'; pid: number }
  | { kind: 'spawn-error'; message: string }
  | { kind: 'status'; code: number | null; signal: string | null; timedOut: boolean; stderr: string }
  | { kind: 'stderr'; stderr: string }
  | { kind: 'overflow'; size: number };

const SIGNALS: Record<number, string> = { 4: 'SIGILL', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };

/** Children still running and pipe folders, cleaned up when this process exits: no hung child outlives the suite. */
const running = new Set<number>();
const folders = new Set<string>();
let exitHookInstalled = false;
function installExitHook(folder: string): void {
  folders.add(folder);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of running) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    for (const f of folders) rmSync(f, { recursive: true, force: true });
  });
}

function quote(line: string, max = 160): string {
  const cut = line.length > max ? line.slice(0, max) + '…' : line;
  return `«${cut}»`;
}

function lastLines(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0)
    .slice(-n)
    .join(' | ');
}

export class ProcessImplementation implements Implementation {
  readonly stats: AdapterStats = { operations: 0, resets: 0, roundTrips: 0, elapsedMs: 0 };
  lastFailureDetail: string | undefined;
  private readonly worker: Worker;
  private readonly control: Int32Array;
  private readonly data: Uint8Array;
  private readonly deadline: Float64Array;
  private readonly timeoutMs: number;
  private readonly dir: string;
  private readonly inPath: string;
  private readonly outPath: string;
  /** Read-write descriptors of the two pipes (so opening them never blocks and they outlive any child). */
  private inFd: number;
  private readonly outFd: number;
  /** Non-blocking readers, to drain what a dead child left behind. */
  private readonly inDrainFd: number;
  private readonly outDrainFd: number;
  private readonly chunk = Buffer.alloc(64 * 1024);
  /** What the child wrote and was not consumed yet: bytes [head, tail) of `out` (grown by doubling up to MAX_LINE). */
  private out = Buffer.alloc(64 * 1024);
  private head = 0;
  private tail = 0;
  private pid: number | undefined;
  private alive = false;
  private resetPending: string | undefined;
  private closed = false;

  constructor(
    readonly command: string,
    private readonly options: OpenOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.dir = mkdtempSync(join(tmpdir(), 'gpumem-conform-'));
    this.inPath = join(this.dir, 'stdin');
    this.outPath = join(this.dir, 'stdout');
    execFileSync('mkfifo', ['-m', '600', this.inPath, this.outPath]);
    this.inFd = openSync(this.inPath, 'r+');
    this.outFd = openSync(this.outPath, 'r+');
    this.inDrainFd = openSync(this.inPath, constants.O_RDONLY | constants.O_NONBLOCK);
    this.outDrainFd = openSync(this.outPath, constants.O_RDONLY | constants.O_NONBLOCK);
    const shared = new SharedArrayBuffer(16 + 8 + PAYLOAD_BYTES);
    this.control = new Int32Array(shared, 0, 3);
    this.deadline = new Float64Array(shared, 16, 1);
    this.data = new Uint8Array(shared, 24, PAYLOAD_BYTES);
    this.worker = new Worker(new URL('./process-worker.mjs', import.meta.url), {
      workerData: { control: this.control, data: this.data, deadline: this.deadline },
    });
    this.worker.unref();
    installExitHook(this.dir);
  }

  private call(message: object, waitMs: number): WorkerAnswer {
    Atomics.store(this.control, 0, 0);
    this.worker.postMessage(message);
    if (Atomics.wait(this.control, 0, 0, waitMs) === 'timed-out') throw new ImplementationFailure('timeout', `the adapter's watcher did not answer within ${waitMs} ms`);
    const length = Atomics.load(this.control, 1);
    return JSON.parse(new TextDecoder().decode(this.data.slice(0, length))) as WorkerAnswer;
  }

  private drain(fd: number): void {
    for (;;) {
      try {
        if (readSync(fd, this.chunk, 0, this.chunk.length, null) <= 0) return;
      } catch {
        return; // EAGAIN: empty
      }
    }
  }

  private start(): void {
    this.drain(this.inDrainFd);
    this.drain(this.outDrainFd);
    this.head = this.tail = 0;
    const env = { ...process.env };
    // Sanitizers: report and stop at the first error, unsymbolized (see symbolize); leak checks at exit are not
    // part of a run.
    env['ASAN_OPTIONS'] ??= 'detect_leaks=0:abort_on_error=0:halt_on_error=1:symbolize=0';
    env['UBSAN_OPTIONS'] ??= 'print_stacktrace=1:halt_on_error=1:symbolize=0';
    const answer = this.call({ type: 'start', command: this.command, cwd: this.options.cwd, env, inPath: this.inPath, outPath: this.outPath }, STATUS_WAIT_MS);
    if (answer.kind !== 'spawned') throw new ImplementationFailure('crash', `cannot start ${quote(this.command)}${answer.kind === 'spawn-error' ? `: ${answer.message}` : ''}`);
    this.pid = answer.pid;
    running.add(answer.pid);
    this.alive = true;
  }

  private markDead(): void {
    this.alive = false;
    this.deadline[0] = 0;
    if (this.pid !== undefined) running.delete(this.pid);
  }

  reset(_subsystem: string): void {
    if (this.closed) throw new ImplementationFailure('crash', 'the adapter was closed');
    this.stats.resets++;
    // Sent with the run's first operation, in one write: one round trip fewer per run.
    this.resetPending = _subsystem;
  }

  /** Starts the process and exchanges a lone reset: whether the implementation runs and speaks the protocol at all. */
  handshake(subsystem: string): void {
    if (!this.alive) this.start();
    const lines = this.exchange([JSON.stringify({ cmd: 'reset', subsystem, protocol: 1 })], 'reset');
    this.checkReset(lines[0] ?? '');
  }

  apply(op: Operation): ImplResponse {
    const requests: string[] = [];
    const withReset = this.resetPending !== undefined;
    if (withReset) requests.push(JSON.stringify({ cmd: 'reset', subsystem: this.resetPending, protocol: 1 }));
    this.resetPending = undefined;
    requests.push(JSON.stringify({ cmd: 'apply', op: op.op, args: toJson(op.args as Value) }));
    const t0 = performance.now();
    try {
      if (!this.alive) this.start();
      const lines = this.exchange(requests, withReset ? `reset or ${op.op}` : op.op);
      if (withReset) this.checkReset(lines[0] ?? '');
      this.stats.operations++;
      return this.parseResponse(lines[lines.length - 1] ?? '', op.op);
    } finally {
      this.stats.elapsedMs += performance.now() - t0;
      this.stats.roundTrips++;
    }
  }

  /**
   * One complete line from the child's stdout, blocking; markers from the watcher come through here too. A line
   * longer than MAX_LINE characters is a protocol violation as soon as that many have arrived without a newline
   * (the child is killed, and what it still writes is drained at the next start).
   */
  private readLine(during: string): string {
    let scanned = this.head;
    for (;;) {
      const nl = this.out.subarray(0, this.tail).indexOf(10, scanned);
      if (nl >= 0 && nl - this.head <= MAX_LINE) {
        const line = this.out.toString('utf8', this.head, nl).replace(/\r$/, '');
        this.head = nl + 1;
        if (this.head === this.tail) this.head = this.tail = 0;
        return line;
      }
      if (nl >= 0 || this.tail - this.head > MAX_LINE) {
        // A marker from the watcher may sit behind the long line: what ended it does not change the verdict.
        const start = this.out.toString('utf8', this.head, this.head + 200);
        this.head = this.tail = 0;
        this.kill();
        throw new ImplementationFailure('protocol', `an answer to ${during} longer than ${MAX_LINE} bytes (the limit of one line): ${quote(start)}`);
      }
      scanned = this.tail;
      this.reserve(this.chunk.length);
      const n = readSync(this.outFd, this.out, this.tail, this.out.length - this.tail, null);
      this.tail += n;
    }
  }

  /** Room for `bytes` more after `tail`: unconsumed bytes moved to the front, the buffer doubled when that is not enough. */
  private reserve(bytes: number): void {
    if (this.out.length - this.tail >= bytes) return;
    const used = this.tail - this.head;
    const next = used + bytes > this.out.length ? Buffer.alloc(Math.max(2 * this.out.length, used + bytes)) : this.out;
    this.out.copy(next, 0, this.head, this.tail);
    this.out = next;
    this.head = 0;
    this.tail = used;
  }

  /** The first line of what is buffered, for a message. */
  private bufferedLine(): string {
    const text = this.out.toString('utf8', this.head, Math.min(this.tail, this.head + 400));
    return text.split('\n')[0] ?? '';
  }

  private exchange(requests: string[], during: string): string[] {
    if (this.tail > this.head) {
      const extra = this.bufferedLine();
      this.kill();
      throw new ImplementationFailure('protocol', `output nobody asked for, before ${during}: ${quote(extra)}`);
    }
    this.deadline[0] = Date.now() + this.timeoutMs;
    writeSync(this.inFd, requests.join('\n') + '\n');
    const lines: string[] = [];
    while (lines.length < requests.length) {
      const line = this.readLine(during);
      // The watcher's marker ends whatever the child had written so far (an unfinished line, say).
      const at = line.indexOf(MARK);
      if (at >= 0) {
        const [kind, pid] = line.slice(at + MARK.length).split(':');
        // A marker about an earlier child (written late, when the pipe had room again) is not about this one.
        if (pid !== undefined && pid !== '' && Number(pid) !== this.pid) continue;
        this.failed(kind === 'timeout', during, lines, line.slice(0, at));
      }
      lines.push(line);
    }
    this.deadline[0] = 0;
    if (Atomics.load(this.control, 2) === 1) {
      // A sanitizer that reports and carries on (recoverable UBSan): still a memory error.
      const answer = this.call({ type: 'stderr' }, STATUS_WAIT_MS);
      const stderr = symbolize(answer.kind === 'stderr' ? answer.stderr : '');
      this.kill();
      this.lastFailureDetail = stderr;
      throw new ImplementationFailure('memory-error', sanitizerReport(stderr) ?? 'a sanitizer report on stderr', stderr);
    }
    return lines;
  }

  /** The child is gone (exited, or killed at its deadline): say how, from the watcher's account. */
  private failed(timedOut: boolean, during: string, lines: readonly string[], partial: string): never {
    this.head = this.tail = 0;
    const status = this.call({ type: 'status' }, STATUS_WAIT_MS);
    this.markDead();
    const stderr = symbolize(status.kind === 'status' ? status.stderr : '');
    this.lastFailureDetail = stderr;
    const report = sanitizerReport(stderr);
    if (report !== undefined) throw new ImplementationFailure('memory-error', report, stderr);
    if (timedOut) {
      const parts = [
        ...(lines.length > 0 ? [`${lines.length} of ${lines.length + 1} lines arrived`] : []),
        ...(partial ? [`then an unfinished line: ${quote(partial)}`] : []),
      ];
      const got = parts.length > 0 ? ` (${parts.join(', ')})` : '';
      throw new ImplementationFailure('timeout', `no answer to ${during} within ${this.timeoutMs} ms${got}; the implementation was killed`, stderr);
    }
    const code = status.kind === 'status' ? status.code : null;
    const signal = status.kind === 'status' ? status.signal : null;
    const how =
      signal !== null
        ? `was killed by ${signal}`
        : code !== null && code > 128 && SIGNALS[code - 128] !== undefined
          ? `exited with status ${code} (a shell reporting ${SIGNALS[code - 128]})`
          : `exited with status ${code ?? 'unknown'}`;
    const tail = lastLines(stderr, 3);
    throw new ImplementationFailure('crash', `the implementation ${how} during ${during}${tail ? `; stderr ends: ${quote(tail, 300)}` : ''}`, stderr);
  }
  private checkReset(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.kill();
      throw new ImplementationFailure('protocol', `the answer to reset is not JSON: ${quote(line)}`);
    }
    const obj = parsed as { ok?: unknown; error?: unknown } | null;
    if (obj === null || typeof obj !== 'object' || obj.ok !== true) {
      this.kill();
      throw new ImplementationFailure('protocol', `reset was not accepted: ${quote(line)} (expected {"ok":true})`);
    }
  }

  private parseResponse(line: string, opName: string): ImplResponse {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      this.kill();
      throw new ImplementationFailure('protocol', `the answer to ${opName} is not JSON: ${quote(line)} (${(error as Error).message})`);
    }
    // Own fields only: an answer's "constructor" or "__proto__" is never taken for a field it lacks.
    if (parsed !== null && typeof parsed === 'object' && Object.hasOwn(parsed, 'unsupported') && (parsed as { unsupported?: unknown }).unsupported === true) return { unsupported: true };
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.hasOwn(parsed, 'result')) {
      this.kill();
      throw new ImplementationFailure('protocol', `the answer to ${opName} has no "result": ${quote(line)}`);
    }
    const obj = parsed as { result: unknown; state?: unknown; assertions?: unknown };
    const state = Object.hasOwn(obj, 'state') ? obj.state : undefined;
    const response: ImplResponse = state === undefined ? { result: obj.result } : { result: obj.result, state };
    if (!Object.hasOwn(obj, 'assertions') || obj.assertions === undefined) return response;
    if (!Array.isArray(obj.assertions) || !obj.assertions.every((a) => typeof a === 'string')) {
      this.kill();
      throw new ImplementationFailure('protocol', `the answer to ${opName} has "assertions" that is not a list of strings: ${quote(line)}`);
    }
    return { ...response, assertions: obj.assertions as string[] };
  }

  /** Ends the child at once (after a protocol error its output cannot be trusted to line up again). */
  private kill(): void {
    if (!this.alive) return;
    this.call({ type: 'kill' }, STATUS_WAIT_MS);
    this.markDead();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.alive) {
      try {
        closeSync(this.inFd); // end of input: a well-behaved implementation exits
        this.inFd = -1;
        const status = this.call({ type: 'status' }, 1000);
        if (status.kind !== 'status') this.call({ type: 'kill' }, STATUS_WAIT_MS);
      } catch {
        try {
          this.call({ type: 'kill' }, STATUS_WAIT_MS);
        } catch {
          // the exit hook kills it
        }
      }
      this.markDead();
    }
    for (const fd of [this.inFd, this.outFd, this.inDrainFd, this.outDrainFd]) {
      try {
        if (fd >= 0) closeSync(fd);
      } catch {
        // already closed
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    folders.delete(this.dir);
    void this.worker.terminate();
  }
}
