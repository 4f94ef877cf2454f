// What the officer's lists show about footage on its way through the pipeline. Pure: unit-tested.

export const RECORDING_STATUSES = ['received', 'processing', 'ready', 'unplayable', 'deleted'] as const;
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];

/** Still moving through the pipeline: the list keeps asking about it. */
export const isProcessing = (status: string): boolean => status === 'received' || status === 'processing';

/** The pipeline's progress (a fraction, null before it starts) as a whole percentage 0–100. */
export function progressPercent(progress: number | null | undefined): number {
  if (progress === null || progress === undefined || !Number.isFinite(progress)) return 0;
  return Math.max(0, Math.min(100, Math.round(progress * 100)));
}

/** A docking's files by status, in the pipeline's order, leaving out the statuses no file has. */
export function statusCounts(statuses: Partial<Record<string, number>>): { status: RecordingStatus; n: number }[] {
  return RECORDING_STATUSES.filter((s) => (statuses[s] ?? 0) > 0).map((s) => ({ status: s, n: statuses[s]! }));
}

/** A list's rows with the fresher copies fetched since (the list itself is not reloaded, so it does not flicker). */
export function withUpdates<T extends { id: string }>(items: T[], updates: Record<string, Partial<T>>): T[] {
  return items.map((item) => (updates[item.id] ? { ...item, ...updates[item.id] } : item));
}

/** The ids to ask about again: those still processing, at most `max` of them per round. */
export function stillProcessing(items: { id: string; status: string }[], max = 20): string[] {
  return items.filter((r) => isProcessing(r.status)).slice(0, max).map((r) => r.id);
}
