import { useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { describeFinding } from '../compliance-evidence';
import {
  currentBulletinOf, footageLabels, MANUAL, mayRecordVerdicts, RULES, verdictsOf,
  type BulletinSummary, type ManualCode, type Result, type SpotCheck, type SpotCheckItem, type Verdict,
} from '../compliance-spot-check';
import { dateTime, time } from '../format';
import { t } from '../i18n';
import { Player } from '../player';
import { Link } from '../router';
import type { PageProps } from '../routes';
import { can, useUser } from '../session';
import { Button, ErrorMessage, Field, Loading, Notice, Page, useAction, useAsync } from '../ui';
import { BulletinLinks, localeName } from './bulletins';
import { CheckStatus, sampleText, scopeText, SummaryText } from './spot-checks';
import { singleLine, textProblem, type TextProblem } from '../compliance-text';
import { REASON_MAX } from '../evidence-format';
import '../compliance.css';

// One spot check: what was drawn and how (the seed shown so anyone can redraw it), its items, and the selected
// item's footage playing beside its checklist, where the inspector records M1–M4. Then the bulletin.

// The API's limits on free text (src/http/routes/spot-checks.ts, bulletins.ts).
const NOTE_MAX = 2000;
const NUMBER_MAX = 64;

const textError = (p: TextProblem, max: number) => (p === 'required' ? t('common.required') : p === 'tooLong' ? t('sc.text.tooLong', { max }) : t('sc.text.control'));

export function SpotCheckPage({ params, query }: PageProps) {
  const id = params.id!;
  const check = useAsync(() => api.get<SpotCheck>(`/api/spot-checks/${encodeURIComponent(id)}`), [id]);
  const itemId = query.get('item');
  const data = check.data;
  if (!data) {
    return (
      <Page title={t('nav.spotChecks')}>
        <ErrorMessage error={check.error} />
        {check.loading ? <Loading /> : null}
      </Page>
    );
  }
  const item = data.items.find((i) => String(i.id) === itemId) ?? null;
  return (
    <Page
      title={t('sc.title', { from: data.from, to: data.to })}
      actions={
        <>
          <CheckStatus status={data.status} />
          <Link href="/spot-checks" class="button">
            {t('common.back')}
          </Link>
        </>
      }
    >
      <ErrorMessage error={check.error} />
      <CheckHeader check={data} />
      <div class="sc-layout">
        <ItemList check={data} selected={item?.id ?? null} />
        {item ? (
          <ItemPanel key={item.id} check={data} item={item} onSaved={check.reload} />
        ) : (
          <div class="card muted sc-pick">{itemId ? t('sc.item.notFound') : data.items.length ? t('sc.item.pick') : t('sc.item.none')}</div>
        )}
      </div>
      <BulletinSection check={data} onIssued={check.reload} />
      <AbandonSection check={data} onDone={check.reload} />
    </Page>
  );
}

function CheckHeader({ check }: { check: SpotCheck }) {
  return (
    <section class="card sc-head">
      <SeedBox seed={check.seed} />
      <dl class="props">
        <dt>{t('sc.period')}</dt>
        <dd>
          {check.from} – {check.to}
        </dd>
        <dt>{t('sc.scope')}</dt>
        <dd>{scopeText(check.unitCodes)}</dd>
        <dt>{t('sc.sample')}</dt>
        <dd>{sampleText(check.sample)}</dd>
        <dt>{t('sc.regulationVersion')}</dt>
        <dd class="mono">{check.regulationVersion}</dd>
        <dt>{t('sc.draws')}</dt>
        <dd>
          {check.draws} <span class="muted">{t('sc.drawsHint')}</span>
        </dd>
        <dt>{t('sc.opened')}</dt>
        <dd>
          {check.openedBy} · {dateTime(check.openedAt)}
        </dd>
        {check.closedAt ? (
          <>
            <dt>{t('sc.closedAt')}</dt>
            <dd>{dateTime(check.closedAt)}</dd>
          </>
        ) : null}
        {check.abandonedReason ? (
          <>
            <dt>{t('sc.abandonedReason')}</dt>
            <dd>{check.abandonedReason}</dd>
          </>
        ) : null}
        {check.inspectors?.length ? (
          <>
            <dt>{t('sc.inspectors')}</dt>
            <dd>{check.inspectors.join(', ')}</dd>
          </>
        ) : null}
        <dt>{t('sc.result')}</dt>
        <dd data-testid="check-summary">
          <SummaryText summary={check.summary} />
        </dd>
      </dl>
      {check.hiddenItems ? <p class="msg msg-warn">{t('sc.hiddenItems', { n: check.hiddenItems })}</p> : null}
    </section>
  );
}

/** The seed, large and copyable: with the period and scope it redraws the same sample anywhere. */
function SeedBox({ seed }: { seed: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    // The clipboard API needs a secure context, which an office LAN address over http is not: then the old way.
    try {
      await navigator.clipboard.writeText(seed);
      setCopied(true);
    } catch {
      input.current?.select();
      setCopied(document.execCommand('copy'));
    }
  };
  return (
    <div class="sc-seed">
      <label class="field-label" for="sc-seed">
        {t('sc.seed')}
      </label>
      <div class="sc-seed-row">
        <input id="sc-seed" ref={input} class="mono" readOnly value={seed} onFocus={(e) => e.currentTarget.select()} data-testid="seed" />
        <button type="button" onClick={copy}>
          {t('sc.copy')}
        </button>
      </div>
      <span class="field-hint">{copied === true ? t('sc.copied') : copied === false ? t('sc.copyFailed') : t('sc.seedHint')}</span>
    </div>
  );
}

export function ResultBadge({ result }: { result: Result }) {
  return <span class={`badge badge-${result}`}>{t(`sc.result.${result}`)}</span>;
}

function ItemList({ check, selected }: { check: SpotCheck; selected: number | null }) {
  return (
    <nav class="card sc-items" aria-label={t('sc.items')}>
      <h2>
        {t('sc.items')} <span class="muted">({check.items.length})</span>
      </h2>
      <ul>
        {check.items.map((i, n) => (
          <li key={i.id}>
            <Link
              href={`/spot-checks/${check.id}?item=${i.id}`}
              class={i.id === selected ? 'sc-item-link selected' : 'sc-item-link'}
              aria-current={i.id === selected ? 'true' : undefined}
              data-testid={`item-${i.id}`}
            >
              <span class="sc-item-top">
                <span class="muted">{n + 1}.</span> <strong>{i.caseNo}</strong>
                <ResultBadge result={i.result} />
              </span>
              <span class="muted">
                {i.activityKey} · {activityTypeName(i.activityType)} · {i.unitCode}
              </span>
              <span class="muted">
                {i.badgeNos.join(', ')}
                {i.inspector ? ` · ${t('sc.item.inspector', { name: i.inspector })}` : ''}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function ItemPanel({ check, item, onSaved }: { check: SpotCheck; item: SpotCheckItem; onSaved(): void }) {
  return (
    <section class="card sc-item" data-testid="item-panel">
      <header class="sc-item-head">
        <h2>
          <Link href={`/cases/${encodeURIComponent(item.caseNo)}`}>{item.caseNo}</Link> · {item.activityKey}
        </h2>
        <span class="muted">
          {activityTypeName(item.activityType)} · {dateTime(item.startedAt)}–{time(item.endedAt)} · {item.unitCode} · {item.badgeNos.join(', ')}
        </span>
        <ResultBadge result={item.result} />
      </header>
      <div class="sc-item-body">
        <Footage item={item} />
        <div class="sc-checklist" data-testid="checklist">
          <AutomaticFindings item={item} />
          <Verdicts check={check} item={item} onSaved={onSaved} />
        </div>
      </div>
    </section>
  );
}

function activityTypeName(type: string): string {
  const key = `sc.type.${type}` as Parameters<typeof t>[0];
  const name = t(key);
  return name === key ? type : name;
}

/** The item's footage (stored with the item when the check opened), one at a time, with a chooser. */
function Footage({ item }: { item: SpotCheckItem }) {
  const labels = footageLabels(item);
  const [current, setCurrent] = useState(labels[0]?.recordingId ?? null);
  if (!current) return <div class="sc-footage muted">{t('sc.footage.none')}</div>;
  return (
    <div class="sc-footage">
      {labels.length > 1 ? (
        <div class="sc-chooser" role="tablist" aria-label={t('sc.footage.choose')}>
          {labels.map((l) => (
            <button
              key={l.recordingId}
              type="button"
              role="tab"
              aria-selected={l.recordingId === current}
              class={l.recordingId === current ? 'primary' : ''}
              onClick={() => setCurrent(l.recordingId)}
              title={l.filename ?? l.recordingId}
            >
              {l.badgeNo ? `${l.badgeNo} · ` : ''}
              {l.startedAt ? time(l.startedAt) : l.recordingId.slice(0, 8)}
            </button>
          ))}
        </div>
      ) : null}
      <div class="sc-player" data-testid="item-player">
        <Player key={current} recordingId={current} />
      </div>
      <div class="muted sc-file">
        {labels.find((l) => l.recordingId === current)?.filename ?? current}{' '}
        <Link href={`/recordings/${current}`}>{t('sc.footage.open')}</Link>
      </div>
    </div>
  );
}

function AutomaticFindings({ item }: { item: SpotCheckItem }) {
  return (
    <section>
      <h3>{t('sc.automatic')}</h3>
      <ul class="sc-findings">
        {RULES.map((rule) => {
          const f = item.findings.find((x) => x.rule === rule);
          if (!f) return null;
          return (
            <li key={rule} class={`sc-finding sc-finding-${f.result}`} data-testid={`finding-${rule}`}>
              <div class="sc-finding-head">
                <span class="mono">{rule}</span> {t(`sc.rule.${rule}`)} <ResultBadge result={f.result} />
              </div>
              {describeFinding(f, t).map((o) => (
                <div key={o.badgeNo} class="sc-evidence">
                  {o.badgeNo ? (
                    <span class="sc-officer">
                      {o.badgeNo} <ResultBadge result={o.result} />
                    </span>
                  ) : null}
                  <ul>
                    {o.lines.map((line, i) => (
                      <li key={i}>{line}</li>
                    ))}
                  </ul>
                </div>
              ))}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** Why the verdicts are shown and not offered. */
function readOnlyReason(check: SpotCheck, item: SpotCheckItem): string {
  if (check.status !== 'open') return t(check.status === 'complete' ? 'sc.verdicts.complete' : 'sc.verdicts.abandoned');
  if (MANUAL.every((m) => verdictsOf(item)[m].result === 'na')) return t('sc.verdicts.nothingToWatch');
  return t('sc.verdicts.assigned', { name: item.inspector ?? '' });
}

function Verdicts({ check, item, onSaved }: { check: SpotCheck; item: SpotCheckItem; onSaved(): void }) {
  const user = useUser();
  const recorded = verdictsOf(item);
  const editable = mayRecordVerdicts(check, item, user);
  const initial = Object.fromEntries(MANUAL.map((m) => [m, recorded[m].result === 'pass' || recorded[m].result === 'fail' ? recorded[m].result : undefined])) as Partial<Record<ManualCode, Verdict>>;
  const [verdicts, setVerdicts] = useState(initial);
  const [note, setNote] = useState(item.note ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction();
  const choose = (m: ManualCode, v: Verdict) => {
    setVerdicts({ ...verdicts, [m]: v });
    setProblem(null);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const chosen = Object.fromEntries(Object.entries(verdicts).filter(([, v]) => v)) as Partial<Record<ManualCode, Verdict>>;
    const cleaned = singleLine(note);
    const newNote = cleaned && cleaned !== (item.note ?? '') ? cleaned : null;
    const noteProblem = cleaned ? textProblem(note, NOTE_MAX) : null;
    if (noteProblem) return setProblem(textError(noteProblem, NOTE_MAX));
    if (!Object.keys(chosen).length && !newNote) return setProblem(t('sc.verdicts.nothing'));
    setProblem(null);
    const saved = await action.run(
      () => api.patch<SpotCheckItem>(`/api/spot-checks/${check.id}/items/${item.id}`, { verdicts: chosen, ...(newNote ? { note: newNote } : {}) }),
      t('sc.verdicts.saved'),
    );
    if (saved) onSaved();
  };

  return (
    <section>
      <h3>{t('sc.manual')}</h3>
      {!editable ? <p class="muted">{readOnlyReason(check, item)}</p> : null}
      <form onSubmit={submit} noValidate data-testid="verdict-form">
        <ul class="sc-findings">
          {MANUAL.map((m) => (
            <li key={m} class="sc-verdict" data-testid={`verdict-${m}`}>
              <div class="sc-finding-head">
                <span class="mono">{m}</span> {t(`sc.manual.${m}`)}
              </div>
              {editable ? (
                <div class="sc-radios" role="radiogroup" aria-label={m}>
                  {(['pass', 'fail'] as const).map((v) => (
                    <label key={v} class={`check sc-radio-${v}`}>
                      <input type="radio" name={`verdict-${m}`} value={v} checked={verdicts[m] === v} onChange={() => choose(m, v)} />
                      {t(`sc.result.${v}`)}
                    </label>
                  ))}
                </div>
              ) : (
                <ResultBadge result={recorded[m].result} />
              )}
              {recorded[m].by ? <span class="muted sc-by">{t('sc.verdicts.by', { by: recorded[m].by!, at: dateTime(recorded[m].at) })}</span> : null}
            </li>
          ))}
        </ul>
        {editable ? (
          <>
            <Field label={t('sc.verdicts.note')} error={problem}>
              <textarea
                name="note"
                value={note}
                onInput={(e) => {
                  setNote(e.currentTarget.value);
                  setProblem(null);
                }}
              />
            </Field>
            <ErrorMessage error={action.error} />
            <Button type="submit" class="primary" busy={action.busy} data-testid="save-verdicts">
              {t('sc.verdicts.save')}
            </Button>
          </>
        ) : item.note ? (
          <p class="sc-note">
            <span class="muted">{t('sc.verdicts.note')}</span> {item.note}
          </p>
        ) : null}
        {/* Outside the form's fields: the last verdicts complete the check, which then shows them read-only. */}
        <Notice text={action.done} />
      </form>
    </section>
  );
}

function BulletinSection({ check, onIssued }: { check: SpotCheck; onIssued(): void }) {
  const user = useUser();
  if (check.status === 'abandoned') return null;
  const current = currentBulletinOf(check.id, check.bulletins);
  return (
    <section class="card" data-testid="bulletin-section">
      <h2>{t('sc.bulletin.title')}</h2>
      {check.status !== 'complete' ? <p class="muted">{t('sc.bulletin.notComplete')}</p> : null}
      {check.bulletins.length ? (
        <ul class="sc-bulletins">
          {check.bulletins.map((b) => (
            <li key={b.id} class={b.current ? '' : 'muted'}>
              <strong>{b.number}</strong> v{b.version} · {localeName(b.locale)} · {b.issuedBy} · {dateTime(b.issuedAt)}{' '}
              {b.current ? <span class="badge badge-pass">{t('bul.current')}</span> : <span class="badge">{t('bul.replaced')}</span>} <BulletinLinks id={b.id} />
            </li>
          ))}
        </ul>
      ) : null}
      {check.status === 'complete' && can.openSpotChecks(user.role) ? <IssueBulletin check={check} current={current} onIssued={onIssued} /> : null}
    </section>
  );
}

function IssueBulletin({ check, current, onIssued }: { check: SpotCheck; current: BulletinSummary | null; onIssued(): void }) {
  const [open, setOpen] = useState(!current);
  const [number, setNumber] = useState('');
  const [locale, setLocale] = useState<string>(current?.locale ?? 'zh-CN');
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction();
  if (!open) {
    return (
      <>
        <Notice text={action.done} />
        <button type="button" onClick={() => setOpen(true)} data-testid="reissue">
          {t('sc.bulletin.correct')}
        </button>
      </>
    );
  }
  const submit = async (e: Event) => {
    e.preventDefault();
    const p = number.trim() ? textProblem(number, NUMBER_MAX) : null;
    setProblem(p && textError(p, NUMBER_MAX));
    if (p) return;
    const body = { locale, ...(current ? { replaces: current.id } : number.trim() ? { number: singleLine(number) } : {}) };
    const issued = await action.run(() => api.post<{ id: string }>(`/api/spot-checks/${check.id}/bulletins`, body), t('sc.bulletin.issued'));
    if (issued) {
      setOpen(false);
      onIssued();
    }
  };
  return (
    <form class="row sc-issue" onSubmit={submit} noValidate data-testid="issue-form">
      {current ? (
        <p class="muted sc-issue-note">{t('sc.bulletin.correctionOf', { number: current.number, version: current.version })}</p>
      ) : (
        <Field label={t('sc.bulletin.number')} error={problem} hint={t('sc.bulletin.numberHint')}>
          <input name="number" value={number} onInput={(e) => setNumber(e.currentTarget.value)} />
        </Field>
      )}
      <Field label={t('bul.language')}>
        <select name="locale" value={locale} onChange={(e) => setLocale(e.currentTarget.value)}>
          <option value="zh-CN">{localeName('zh-CN')}</option>
          <option value="en">{localeName('en')}</option>
        </select>
      </Field>
      <Button type="submit" class="primary" busy={action.busy} data-testid="issue-bulletin">
        {current ? t('sc.bulletin.issueCorrection') : t('sc.bulletin.issue')}
      </Button>
      {current ? (
        <button type="button" onClick={() => setOpen(false)}>
          {t('common.cancel')}
        </button>
      ) : null}
      <ErrorMessage error={action.error} />
      <Notice text={action.done} />
    </form>
  );
}

function AbandonSection({ check, onDone }: { check: SpotCheck; onDone(): void }) {
  const user = useUser();
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction();
  if (check.status !== 'open' || !can.openSpotChecks(user.role)) return null;
  const submit = async (e: Event) => {
    e.preventDefault();
    const p = textProblem(reason, REASON_MAX);
    setProblem(p && textError(p, REASON_MAX));
    if (p) return;
    if (await action.run(() => api.post(`/api/spot-checks/${check.id}/abandon`, { reason: singleLine(reason) }))) onDone();
  };
  return (
    <section class="card sc-abandon">
      {confirming ? (
        <form onSubmit={submit} noValidate>
          <p class="msg msg-warn">{t('sc.abandon.warning')}</p>
          <Field label={t('common.reason')} error={problem}>
            <textarea name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </Field>
          <ErrorMessage error={action.error} />
          <div class="row">
            <Button type="submit" class="danger" busy={action.busy} data-testid="abandon-confirm">
              {t('sc.abandon.confirm')}
            </Button>
            <button type="button" onClick={() => setConfirming(false)}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      ) : (
        <button type="button" class="danger" onClick={() => setConfirming(true)} data-testid="abandon">
          {t('sc.abandon.title')}
        </button>
      )}
    </section>
  );
}
