import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The process's own figures (what this process ingested, ran, stored, deleted): one registry per process,
 * whatever roles it runs, so a process with both roles serves one endpoint with both roles' figures.
 * Instruments register here when their module loads; Node's own figures (CPU, memory, event loop, GC) are
 * added once, by the first process part that serves the registry, not by every import of an instrument.
 */
export const processRegistry = new Registry();

let defaultsAdded = false;

/** The process registry with Node's default figures, as served. */
export function servedProcessRegistry(): Registry {
  if (!defaultsAdded) {
    collectDefaultMetrics({ register: processRegistry });
    defaultsAdded = true;
  }
  return processRegistry;
}
