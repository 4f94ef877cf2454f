/**
 * The custody targets that make up a case's record: the case itself and every recording linked to it now (a
 * recording unlinked since is no longer the case's; its unlink stays among that recording's own events).
 */
export const caseCustodyTargets = (caseNo: string, recordingIds: readonly string[]): string[] => [
  `case:${caseNo}`,
  ...recordingIds.map((id) => `recording:${id}`),
];
