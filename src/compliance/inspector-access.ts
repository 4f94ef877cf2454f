import type { Db } from '../db/pool';

// API.md: "An inspector assigned to a spot-check item may read that item's case and footage whatever their
// scope." Inspectors are dealt items of other units on purpose (never their own), so without this they could
// not watch what they judge.

/** Whether `username` is the inspector of an item of case `caseNo`. */
export async function inspectsCase(db: Db, username: string, caseNo: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM spot_check_items WHERE inspector = $1 AND case_no = $2 LIMIT 1', [username, caseNo]);
  return (rowCount ?? 0) > 0;
}

/**
 * Whether `username` inspects an item whose footage includes the recording: linked to the item's case, or
 * named in the item's findings (footage of the activity the machine did not link is evidence too; a recording
 * id is a UUID, so finding it in the findings' text finds exactly that recording).
 */
export async function inspectsRecording(db: Db, username: string, recordingId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM spot_check_items i
      WHERE i.inspector = $1
        AND (strpos(i.findings::text, $2) > 0
             OR EXISTS (SELECT 1 FROM case_links l JOIN cases c ON c.id = l.case_id WHERE c.case_no = i.case_no AND l.recording_id = $2::uuid))
      LIMIT 1`,
    [username, recordingId],
  );
  return (rowCount ?? 0) > 0;
}
