// The watcher of a process adapter's child (properties/harness/process-adapter.ts), on a worker thread.
//
// The main thread talks to the child directly: it writes requests into the child's stdin and reads answers
// from its stdout with blocking system calls, both through named pipes it holds open. What a blocking
// reader cannot see is watched here, asynchronously: the child's exit status and signal, its stderr (for a
// sanitizer report), and the timeout of the request in flight. When the child exits, or a request outlives
// its deadline (the child and its whole process group are then killed), this thread writes a marker line
// into the child's stdout pipe, which wakes the main thread's read. Details are answered through shared
// memory the main thread waits on with Atomics.wait.
//
// Plain JavaScript on purpose: a worker thread is loaded by Node itself, with no TypeScript loader.

import { spawn } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { HOLD_UNTIL_GUARDED } from './hold-until-guarded.mjs';

const { control, data, deadline } = workerData; // Int32Array [flag, length, sanitizer], Uint8Array, Float64Array [deadline]
const encoder = new TextEncoder();

/** How much of the child's stderr is kept (its tail): enough for a whole sanitizer report. */
const STDERR_KEEP = 64 * 1024;
/** After the exit, how long to wait for the rest of stderr. */
const CLOSE_GRACE_MS = 2000;
const SANITIZER = /==\d+==ERROR: [A-Za-z]+Sanitizer|: runtime error: /;

export const MARK_EXIT = '\u0000gpumem:exit';
export const MARK_TIMEOUT = '\u0000gpumem:timeout';

let child;
let markFd; // a non-blocking write descriptor of the child's stdout pipe, for markers
let exited; // { code, signal }
let closed = false;
let stderrTail = '';
let statusWanted = false;
let timedOut = false;
let ticker;

function answer(payload) {
  let bytes = encoder.encode(JSON.stringify(payload));
  if (bytes.length > data.length) bytes = encoder.encode(JSON.stringify({ kind: 'overflow', size: bytes.length }));
  data.set(bytes, 0);
  Atomics.store(control, 1, bytes.length);
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
}

/**
 * Writes a marker line (it names the child's pid: one that waited in a full pipe past its child is recognised as
 * stale) into the child's stdout pipe, never blocking: when the pipe is full (the child wrote more
 * than the main thread has read, an over-long line say), it tries again shortly, for as long as this child is the
 * current one. A blocking write here would stop this thread for good, and with it every status answer and the
 * process's exit.
 */
function mark(line, me = child) {
  if (me !== child || markFd === undefined) return;
  try {
    writeSync(markFd, line + '\n');
  } catch (error) {
    if (error && error.code === 'EAGAIN') setTimeout(() => mark(line, me), 5).unref();
    // otherwise the pipe is gone: nobody waits on it
  }
}

/**
 * Kills the child's whole process group: the shell, the program and whatever they started, also after the child
 * itself has exited (what it started is left in its group; the group id stays valid while any member lives).
 */
function killGroup(pid = child?.pid) {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    if (child !== undefined && child.pid === pid && exited === undefined) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/**
 * The guardian: a small shell of its own (in its own process group, so no terminal signal or group kill reaches
 * it) that is told the process group of the current child and kills that group when its stdin ends, which happens
 * when this process ends in any way, a SIGKILL included. So no implementation outlives the suite. It removes the
 * folder of the two pipes too (the main thread's exit hook does not run when the process is killed).
 */
let guardian;
/** Started before the first child, so that it already runs when a child is spawned: only a write is left then. */
function startGuardian(pipeFolder) {
  if (guardian !== undefined) return;
  try {
    guardian = spawn('sh', ['-c', GUARDIAN, 'gpumem-guardian', pipeFolder], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    guardian.on('error', () => {});
    guardian.stdin.on('error', () => {});
    guardian.unref();
    if (guardian.stdin._handle && typeof guardian.stdin._handle.unref === 'function') guardian.stdin._handle.unref();
  } catch {
    guardian = null; // no guardian: the main thread's exit hook still kills the child on an ordinary exit
  }
}
function guard(pgid) {
  if (!guardian) return;
  const line = `${pgid}\n`;
  try {
    // At once, with the child just spawned: a write on this thread's event loop could come after a SIGKILL.
    const fd = guardian.stdin._handle?.fd;
    if (typeof fd === 'number' && fd >= 0) writeSync(fd, line);
    else guardian.stdin.write(line);
  } catch {
    guardian.stdin.write(line);
  }
}
const GUARDIAN = "trap '' INT TERM HUP; g=0; while IFS= read -r line; do g=$line; done; [ \"$g\" != 0 ] && kill -KILL \"-$g\" 2>/dev/null; [ -n \"$1\" ] && rm -rf \"$1\"; exit 0";

function answerStatus() {
  statusWanted = false;
  answer({ kind: 'status', code: exited?.code ?? null, signal: exited?.signal ?? null, timedOut, stderr: stderrTail });
}

function start({ command, cwd, env, inPath, outPath }) {
  startGuardian(dirname(inPath));
  if (markFd === undefined) markFd = openSync(outPath, constants.O_WRONLY | constants.O_NONBLOCK); // the main thread holds a reader
  exited = undefined;
  closed = false;
  timedOut = false;
  stderrTail = '';
  Atomics.store(control, 2, 0);
  let childIn;
  let childOut;
  try {
    // The main thread holds both pipes open read-write, so these opens do not block.
    childIn = openSync(inPath, 'r');
    childOut = openSync(outPath, 'w');
    // detached: the child leads its own process group, so a hang is ended with everything it started. It runs
    // the command only once its group is in the guardian's hands (HOLD_UNTIL_GUARDED).
    child = spawn('/bin/sh', ['-c', HOLD_UNTIL_GUARDED, 'gpumem-implementation', command], { detached: true, cwd, env, stdio: [childIn, childOut, 'pipe', 'pipe'] });
  } catch (error) {
    answer({ kind: 'spawn-error', message: String(error && error.message ? error.message : error) });
    return;
  } finally {
    if (childIn !== undefined) closeSync(childIn);
    if (childOut !== undefined) closeSync(childOut);
  }
  const me = child;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    if (me !== child) return;
    stderrTail = (stderrTail + chunk).slice(-STDERR_KEEP);
    if (SANITIZER.test(stderrTail)) Atomics.store(control, 2, 1);
  });
  child.on('error', (error) => {
    if (me !== child) return;
    stderrTail += `\n(cannot run: ${error.message})\n`;
    if (exited === undefined) {
      exited = { code: null, signal: null };
      closed = true;
      mark(`${MARK_EXIT}:${me.pid ?? ''}`, me);
      if (statusWanted) answerStatus();
    }
  });
  child.on('exit', (code, signal) => {
    try {
      process.kill(-me.pid, 'SIGKILL'); // whatever the child started and left in its group goes with it
    } catch {
      // nothing left in the group
    }
    if (me !== child) return;
    exited = { code, signal };
    guard(0);
    mark(`${MARK_EXIT}:${me.pid}`, me);
    // stderr may still be draining: give it a moment before answering a status request without it
    setTimeout(() => {
      if (me === child && !closed) {
        closed = true;
        if (statusWanted) answerStatus();
      }
    }, CLOSE_GRACE_MS);
  });
  child.on('close', () => {
    if (me !== child) return;
    closed = true;
    if (statusWanted) answerStatus();
  });
  clearInterval(ticker);
  ticker = setInterval(() => {
    const due = deadline[0];
    if (me !== child || exited !== undefined || due === 0 || Date.now() < due) return;
    deadline[0] = 0;
    timedOut = true;
    killGroup();
    mark(`${MARK_TIMEOUT}:${me.pid}`, me);
  }, 20);
  ticker.unref();
  guard(child.pid);
  child.stdio[3].on('error', () => {});
  child.stdio[3].end('go\n');
  answer({ kind: 'spawned', pid: child.pid });
}

parentPort.on('message', (message) => {
  switch (message.type) {
    case 'start':
      start(message);
      break;
    case 'status':
      // answered once the child is gone and its stderr has ended
      if (child === undefined || closed) answerStatus();
      else statusWanted = true;
      break;
    case 'kill':
      if (child === undefined || closed) answerStatus();
      else {
        statusWanted = true;
        killGroup();
      }
      break;
    case 'stderr':
      answer({ kind: 'stderr', stderr: stderrTail });
      break;
  }
});
