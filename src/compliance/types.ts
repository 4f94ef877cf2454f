import type { ManualCode, RuleCode } from '../../config/regulation';

// The shapes shared by the compliance modules (REGULATION.md): what the rules read about an activity, what
// they find, and what a spot check stores. Rules are pure functions of ActivityFacts (src/compliance/rules.ts);
// src/compliance/facts.ts loads the facts from the catalog.

export type Result = 'pass' | 'fail' | 'na' | 'pending';

/** One recording of F(A, O): an officer's footage overlapping the activity's window widened by the buffer. */
export interface FootageFacts {
  recordingId: string;
  filename: string;
  recorderId: number;
  recorderSerial: string;
  startedAt: Date;
  /** null while unknown (not yet probed, or unplayable): the recording counts as a point at its start. */
  endedAt: Date | null;
  dockedAt: Date;
  /** The recorder's segment number, when the file name or metadata gave one. */
  seq: number | null;
  status: 'received' | 'processing' | 'ready' | 'unplayable' | 'deleted';
  /** The badge of the officer the recorder was assigned to at the recording's start (null: nobody). */
  recorderAssignedTo: string | null;
  /** Linked to the activity's case (auto or manual). */
  linkedToCase: boolean;
  /** Unlinked from the activity's case by hand: who and why. */
  unlinkedByHand: { by: string; reason: string } | null;
  /** The latest integrity audit of the original: null when none has run yet. */
  audit: { result: 'ok' | 'mismatch' | 'missing'; checkedAt: Date } | null;
}

export interface OfficerFacts {
  officerId: number;
  badgeNo: string;
  name: string;
  footage: FootageFacts[];
}

export interface ActivityFacts {
  activityId: number;
  caseId: number;
  caseNo: string;
  activityKey: string;
  type: string;
  unitId: number;
  unitCode: string;
  startedAt: Date;
  endedAt: Date;
  officers: OfficerFacts[];
}

/**
 * One rule's result for an item, with evidence a person can check: for R2 the uncovered stretches, for R3
 * how late, for R4 which assignment, … `detail` is one line of human text in the bureau's language-neutral
 * form (codes and numbers); `evidence` holds the structured facts.
 */
export interface Finding {
  rule: RuleCode | ManualCode;
  result: Result;
  detail: string;
  evidence?: Record<string, unknown>;
}

/** A rule's result for one officer of an activity; an item's result for the rule is the worst of its officers. */
export interface OfficerFinding extends Finding {
  rule: RuleCode;
  badgeNo: string;
}
