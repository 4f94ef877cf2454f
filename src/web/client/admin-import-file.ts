import type { AdminMessage } from './admin-validate';

/** The directory spreadsheet's header row (API.md "Directory"), shown to the admin as the template. */
export const DIRECTORY_HEADER = 'unit_code,unit_name,badge_no,officer_name,recorder_serial,assigned_from';

// The API takes a CSV body of up to 20 MB; a bigger file would be refused after the whole upload.
const MAX_BYTES = 20 * 1024 * 1024;

/** What is wrong with the file chosen for import before it is sent, or null. */
export function csvFileProblem(file: { name: string; size: number } | null): AdminMessage | null {
  if (!file) return 'admin.import.noFile';
  if (file.size === 0) return 'admin.import.empty';
  if (file.size > MAX_BYTES) return 'admin.import.tooBig';
  if (!/\.(csv|txt)$/i.test(file.name)) return 'admin.import.notCsv';
  return null;
}
