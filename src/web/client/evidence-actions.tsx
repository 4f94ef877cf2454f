import { useState } from 'preact/hooks';
import { api } from './api';
import { date, dateTime } from './format';
import { t } from './i18n';
import { candidateQueries, isRecordingId, linkCandidates, reasonProblem, REASON_MAX } from './evidence-format';
import type { CaseDetail, RecordingDetail, RecordingSummary } from './evidence-types';
import { recordingApi } from './evidence-types';
import { Button, ErrorMessage, Field, Loading, useAction, useAsync } from './ui';

/** The field message for a reason as typed, or null when it may be sent. */
function reasonError(reason: string): string | null {
  const p = reasonProblem(reason);
  return p === 'required' ? t('ev.act.reasonRequired') : p === 'tooLong' ? t('ev.act.reasonTooLong', { max: REASON_MAX }) : null;
}

function ReasonInput({ value, error, onInput, testid }: { value: string; error: string | null; onInput(v: string): void; testid: string }) {
  return (
    <Field label={t('common.reason')} error={error}>
      <input name="reason" value={value} maxLength={REASON_MAX + 50} onInput={(e) => onInput(e.currentTarget.value)} data-testid={`${testid}-reason`} />
    </Field>
  );
}

interface ReasonActionProps {
  /** The button that opens the form. */
  label: string;
  /** The button that sends it: the confirmation. */
  confirm: string;
  note?: string;
  danger?: boolean;
  testid: string;
  send(reason: string): Promise<unknown>;
  onDone(): void;
}

/**
 * An action that needs a reason and a second press: the first opens a small form, the reason is checked
 * before anything is sent, and the second press sends it.
 */
function ReasonAction({ label, confirm, note, danger, testid, send, onDone }: ReasonActionProps) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const action = useAction();
  if (!open) {
    return (
      <button type="button" class={danger ? 'danger' : ''} onClick={() => setOpen(true)} data-testid={testid}>
        {label}
      </button>
    );
  }
  const submit = async (e: Event) => {
    e.preventDefault();
    const problem = reasonError(reason);
    setError(problem);
    if (problem) return;
    const sent = await action.run(async () => {
      await send(reason.trim());
      return true;
    });
    if (!sent) return;
    setOpen(false);
    setReason('');
    onDone();
  };
  return (
    <form class="ev-reason-form" onSubmit={submit} noValidate data-testid={`${testid}-form`}>
      {note ? <p class="msg msg-warn">{note}</p> : null}
      <ReasonInput value={reason} error={error} onInput={setReason} testid={testid} />
      <div class="row">
        <Button type="submit" busy={action.busy} class={danger ? 'danger' : 'primary'} data-testid={`${testid}-confirm`}>
          {confirm}
        </Button>
        <button type="button" onClick={() => (setOpen(false), setError(null), action.clear())}>
          {t('common.cancel')}
        </button>
      </div>
      <ErrorMessage error={action.error} />
    </form>
  );
}

/** Unlinking a recording from the case (the reason goes on the custody record). */
export function UnlinkAction({ caseNo, recordingId, onDone }: { caseNo: string; recordingId: string; onDone(): void }) {
  return (
    <ReasonAction
      label={t('ev.act.unlink')}
      confirm={t('ev.act.unlinkConfirm')}
      note={t('ev.act.unlinkNote')}
      danger
      testid="unlink"
      send={(reason) => api.del(`/api/cases/${encodeURIComponent(caseNo)}/links/${encodeURIComponent(recordingId)}`, { reason })}
      onDone={onDone}
    />
  );
}

/** Marking footage important (kept for the important period) or taking the mark off, with a reason. */
export function ImportantAction({ rec, onDone }: { rec: RecordingDetail; onDone(important: boolean): void }) {
  const next = !rec.important;
  return (
    <ReasonAction
      key={String(rec.important)}
      label={next ? t('ev.act.mark') : t('ev.act.unmark')}
      confirm={next ? t('ev.act.mark') : t('ev.act.unmark')}
      testid="important"
      send={(reason) => api.post(`${recordingApi(rec.id)}/important`, { important: next, reason })}
      onDone={() => onDone(next)}
    />
  );
}

/** The case officers' footage on the activity days that is not linked to the case yet. */
function useLinkCandidates(c: CaseDetail) {
  const linked = new Set(c.recordings.map((r) => r.id));
  const queries = candidateQueries(c.activities, date);
  const found = useAsync(
    () => Promise.all(queries.map((q) => api.get<{ items: RecordingSummary[] }>('/api/recordings', { ...q, limit: 100 }).then((p) => p.items))),
    [c.caseNo, JSON.stringify(queries), [...linked].join(',')],
  );
  return { ...found, candidates: linkCandidates((found.data ?? []).flat(), linked) };
}

/**
 * What both link forms share: the reason, checked with the form's own fields before anything is sent, the
 * request, its progress and its error.
 */
function useLinking() {
  const [reason, setReason] = useState('');
  const [reasonIssue, setReasonIssue] = useState<string | null>(null);
  const action = useAction();
  /** Sends the link when `target` is set (the form's own fields are fine) and the reason is; true when made. */
  const send = async (target: { caseNo: string; recordingId: string } | null): Promise<boolean> => {
    const problem = reasonError(reason);
    setReasonIssue(problem);
    if (!target || problem) return false;
    const body = { recordingId: target.recordingId, reason: reason.trim() };
    const done = await action.run(() => api.post(`/api/cases/${encodeURIComponent(target.caseNo)}/links`, body).then(() => true));
    if (done) setReason('');
    return !!done;
  };
  return { reason, setReason, reasonIssue, action, send };
}

function LinkFormFoot({ linking, label, testid }: { linking: ReturnType<typeof useLinking>; label: string; testid: string }) {
  return (
    <>
      <ReasonInput value={linking.reason} error={linking.reasonIssue} onInput={linking.setReason} testid={testid} />
      <div class="row">
        <Button type="submit" busy={linking.action.busy} class="primary" data-testid={`${testid}-submit`}>
          {label}
        </Button>
      </div>
      <ErrorMessage error={linking.action.error} />
    </>
  );
}

/** Links another recording to the case: one of the officers' unlinked footage, or any id pasted in. */
export function LinkForm({ c, preferId, onLinked }: { c: CaseDetail; preferId: string | null; onLinked(id: string): void }) {
  const found = useLinkCandidates(c);
  const preferred = preferId && found.candidates.some((r) => r.id === preferId) ? preferId : '';
  const [choice, setChoice] = useState<string | null>(null);
  const [pasted, setPasted] = useState('');
  const [idProblem, setIdProblem] = useState<string | undefined>();
  const linking = useLinking();
  const chosen = choice ?? preferred;

  const submit = async (e: Event) => {
    e.preventDefault();
    const id = pasted.trim() || chosen;
    const problem = !id ? t('ev.link.needOne') : pasted.trim() && !isRecordingId(pasted) ? t('ev.link.badId') : undefined;
    setIdProblem(problem);
    if (!(await linking.send(problem ? null : { caseNo: c.caseNo, recordingId: id }))) return;
    setChoice(null);
    setPasted('');
    onLinked(id);
  };

  return (
    <form class="ev-link-form" onSubmit={submit} noValidate data-testid="link-form">
      <Field label={t('ev.link.choose')} error={idProblem}>
        {found.loading && !found.data ? (
          <Loading />
        ) : (
          <select value={chosen} onChange={(e) => setChoice(e.currentTarget.value)} data-testid="link-candidate">
            <option value="">{found.candidates.length ? t('ev.link.pick') : t('ev.link.none')}</option>
            {found.candidates.map((r) => (
              <option key={r.id} value={r.id}>
                {t('ev.link.option', { badge: r.badgeNo, start: dateTime(r.startedAt), file: r.filename })}
              </option>
            ))}
          </select>
        )}
      </Field>
      <ErrorMessage error={found.error} />
      <Field label={t('ev.link.orId')}>
        <input name="recordingId" class="mono" value={pasted} placeholder="xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" onInput={(e) => setPasted(e.currentTarget.value)} data-testid="link-id" />
      </Field>
      <LinkFormFoot linking={linking} label={t('ev.link.submit')} testid="link" />
    </form>
  );
}

/** Links the recording on its own page to a case named by its number (the case page offers the rest). */
export function LinkToCaseForm({ recordingId, onLinked }: { recordingId: string; onLinked(caseNo: string): void }) {
  const [caseNo, setCaseNo] = useState('');
  const [caseProblem, setCaseProblem] = useState<string | undefined>();
  const linking = useLinking();
  const submit = async (e: Event) => {
    e.preventDefault();
    const no = caseNo.trim();
    const problem = no ? undefined : t('ev.link.needCase');
    setCaseProblem(problem);
    if (!(await linking.send(problem ? null : { caseNo: no, recordingId }))) return;
    setCaseNo('');
    onLinked(no);
  };
  return (
    <form class="ev-link-form" onSubmit={submit} noValidate data-testid="link-case-form">
      <Field label={t('ev.case.caseNo')} error={caseProblem}>
        <input name="caseNo" value={caseNo} onInput={(e) => setCaseNo(e.currentTarget.value)} data-testid="link-case-no" />
      </Field>
      <LinkFormFoot linking={linking} label={t('ev.link.toCase')} testid="link-case" />
    </form>
  );
}
