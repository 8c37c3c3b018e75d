#!/usr/bin/env node
/* global process, setTimeout */
// Runs one server process and guarantees it never outlives the process that
// asked for it. The parent holds our stdin open; when the parent exits for any
// reason (including SIGKILL, which no handler can catch) the kernel closes that
// pipe, we see end-of-file and stop the server: SIGTERM, then SIGKILL after a
// grace period. Control messages (the server pid, its exit) go to fd 3 as JSON
// lines so they never mix with the server's own output.
//
// usage: node watchdog.mjs <graceMs> <command> [args...]
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';

const [graceArg, command, ...args] = process.argv.slice(2);
const graceMs = Number(graceArg);
if (!command || !Number.isFinite(graceMs) || graceMs < 0) {
  process.stderr.write('usage: watchdog.mjs <graceMs> <command> [args...]\n');
  process.exit(2);
}

function report(message) {
  try {
    writeSync(3, `${JSON.stringify(message)}\n`);
  } catch {
    // The parent is gone; nobody is listening any more.
  }
}

const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;

child.on('spawn', () => report({ pid: child.pid }));
child.on('error', (error) => {
  report({ error: error.message, errno: error.code ?? null });
  process.exit(127);
});
child.on('exit', (code, signal) => {
  report({ exit: code, signal });
  process.exit(code ?? (signal ? 128 : 1));
});

function stopChild() {
  if (stopping) return;
  stopping = true;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  // Keep this process alive until the child is gone; SIGKILL if it lingers.
  setTimeout(() => child.kill('SIGKILL'), graceMs);
}

process.stdin.on('end', stopChild);
process.stdin.on('close', stopChild);
process.stdin.on('error', stopChild);
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, stopChild);
