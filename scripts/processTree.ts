/**
 * The processes a child started, read from /proc (Linux; elsewhere the lists are empty): so that
 * whoever started a Jupyter server can stop the kernels it started too. Jupyter starts each kernel in
 * a session of its own (jupyter_client's start_new_session), so a signal to the server's process group
 * does not reach them, and a server that dies hard leaves them to init. Each process is remembered
 * with its start time, so a pid the system has since given to another program is never signalled.
 */
import { readFileSync, readdirSync } from "fs";

export interface ProcessId {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot): with the pid, names one process for good. */
  startTime: string;
}

interface Stat {
  state: string;
  ppid: number;
  startTime: string;
}

function stat(pid: number): Stat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0], ppid: Number(fields[1]), startTime: fields[19] };
}

/** Every live descendant of `root` (children, their children, …), not `root` itself. */
export function descendants(root: number): ProcessId[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const children = new Map<number, ProcessId[]>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const s = stat(pid);
    if (!s || s.state === "Z") continue;
    const list = children.get(s.ppid) ?? [];
    list.push({ pid, startTime: s.startTime });
    children.set(s.ppid, list);
  }
  const found: ProcessId[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** The command line of `pid`, arguments joined by spaces ("" once it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** The parent of `pid`, its parent, … up to (not including) init; empty where /proc is missing. */
export function ancestors(pid: number): ProcessId[] {
  const found: ProcessId[] = [];
  for (let s = stat(pid); s && s.ppid > 1;) {
    const parent = stat(s.ppid);
    if (!parent) break;
    found.push({ pid: s.ppid, startTime: parent.startTime });
    s = parent;
  }
  return found;
}

/** Whether this very process (same pid, same start time) still runs; a zombie does not count. */
export function isAlive(id: ProcessId): boolean {
  const s = stat(id.pid);
  return s !== null && s.state !== "Z" && s.startTime === id.startTime;
}

/** Sends `signal` to each process still alive; returns the ones it was sent to. */
export function signalAll(ids: ProcessId[], signal: NodeJS.Signals): ProcessId[] {
  const sent: ProcessId[] = [];
  for (const id of ids) {
    if (!isAlive(id)) continue;
    try {
      process.kill(id.pid, signal);
      sent.push(id);
    } catch {
      // exited meanwhile
    }
  }
  return sent;
}

/** Merges `more` into `known` (by pid and start time), keeping the order of first sight. */
export function remember(known: ProcessId[], more: ProcessId[]): ProcessId[] {
  const seen = new Set(known.map((id) => `${id.pid}:${id.startTime}`));
  return [...known, ...more.filter((id) => !seen.has(`${id.pid}:${id.startTime}`))];
}
