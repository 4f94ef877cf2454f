// Legal holds sit on a recording or on a case (all of its footage, linked now or later).

export type HoldTarget = { kind: 'case' | 'recording'; id: string };

/** POST {on, reason} here sets or lifts the hold. */
export const holdPath = (target: HoldTarget): string =>
  `/api/${target.kind === 'case' ? 'cases' : 'recordings'}/${encodeURIComponent(target.id)}/hold`;

/** A hold asked for by a link from another page (?case=… or ?recording=…), to prefill the form. */
export function holdTargetOf(query: URLSearchParams): HoldTarget | null {
  const caseNo = query.get('case');
  if (caseNo) return { kind: 'case', id: caseNo };
  const recording = query.get('recording');
  return recording ? { kind: 'recording', id: recording } : null;
}
