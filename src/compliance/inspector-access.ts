import type { Db } from '../db/pool';

// API.md: "An inspector assigned to a spot-check item may read that item's case and footage whatever their
// scope." Inspectors are dealt items of other units on purpose (never their own), so without this they could
// not watch what they judge. An abandoned check grants nothing.

/** SQL: the items (`i`) of open or complete checks assigned to the user named by parameter `user`; callers narrow it. */
export const inspectedItems = (user: string) =>
  `SELECT 1 FROM spot_check_items i JOIN spot_checks s ON s.id = i.spot_check_id WHERE i.inspector = ${user} AND s.status <> 'abandoned'`;

/** Whether `username` is the inspector of an item of case `caseNo` in an open or complete check. */
export async function inspectsCase(db: Db, username: string, caseNo: string): Promise<boolean> {
  const { rowCount } = await db.query(`${inspectedItems('$1')} AND i.case_no = $2 LIMIT 1`, [username, caseNo]);
  return (rowCount ?? 0) > 0;
}

/** Whether `username` inspects an item (open or complete check) whose footage, as drawn, includes the recording. */
export async function inspectsRecording(db: Db, username: string, recordingId: string): Promise<boolean> {
  const { rowCount } = await db.query(`${inspectedItems('$1')} AND i.recording_ids @> ARRAY[$2::uuid] LIMIT 1`, [username, recordingId]);
  return (rowCount ?? 0) > 0;
}
