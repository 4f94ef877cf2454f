import { readdirSync, readFileSync } from 'node:fs';

/** A running process as Linux's /proc shows it. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  /** R, S, D, Z (zombie), ... */
  state: string;
  argv: string[];
  /** CPU time used so far (user + system), in clock ticks (usually 1/100 s). */
  cpuTicks: number;
}

/** What /proc says about one process, or null when it has gone (or /proc is not there). */
export function procInfo(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (2nd field) is in parentheses and may hold spaces: the rest follows the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    // Fields 3 (state), 4 (ppid), 14 (utime) and 15 (stime) of proc(5), counted from 1.
    return { pid, ppid: Number(rest[1]), state: rest[0]!, argv, cpuTicks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return null;
  }
}

/** The direct children of `pid`. */
export function childrenOf(pid: number): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = procInfo(Number(name));
    if (info && info.ppid === pid) out.push(info);
  }
  return out;
}

/** Whether `pid` runs (a zombie, dead but not yet reaped, does not count). */
export function isRunning(pid: number): boolean {
  const info = procInfo(pid);
  return info !== null && info.state !== 'Z' && info.state !== 'X';
}
