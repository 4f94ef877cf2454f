// The words for the API's codes (case kinds, statuses, activity types, custody actions) in the current
// language; a code the UI does not know yet shows as the API wrote it.
import { t, type MessageKey } from './i18n';
import { isCustodyAction } from './evidence-format';

const KINDS = ['penalty', 'inspection', 'compulsory', 'other'];
const CASE_STATUSES = ['open', 'closed'];
const ACTIVITY_TYPES = ['inspection', 'questioning', 'on_the_spot_penalty', 'sampling', 'preservation', 'seizure', 'execution', 'service', 'hearing', 'other'];

const labelled = (prefix: string, known: string[]) => (code: string) => (known.includes(code) ? t(`${prefix}.${code}` as MessageKey) : code);

export const kindLabel = labelled('ev.kind', KINDS);
export const caseStatusLabel = labelled('ev.caseStatus', CASE_STATUSES);
export const activityLabel = labelled('ev.activity', ACTIVITY_TYPES);
export const custodyActionLabel = (action: string) => (isCustodyAction(action) ? t(`ev.custody.action.${action}`) : action);
export const linkSourceLabel = (source: string | null | undefined) =>
  source === 'auto' ? t('ev.link.auto') : source === 'manual' ? t('ev.link.manual') : '';
