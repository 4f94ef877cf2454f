import type { ComponentChildren } from 'preact';
import { mediaUrl } from '../api';
import type { BulletinSummary } from '../compliance-spot-check';
import { dateTime } from '../format';
import { t, type MessageKey } from '../i18n';
import { Link } from '../router';
import type { PageProps } from '../routes';
import { ListFooter, Page, useCursorList, type CursorList } from '../ui';
import '../compliance.css';

// Past bulletins (通报), newest first: each issued once and never changed; a correction is a new version
// that replaces it (REGULATION.md "Inspection bulletin").

const FORMATS = ['pdf', 'html', 'csv'] as const;

/** The three renderings of a bulletin as plain links: the session cookie authenticates the download. */
export function BulletinLinks({ id, compact }: { id: string; compact?: boolean }) {
  return (
    <span class={compact ? 'bul-links compact' : 'bul-links'}>
      {FORMATS.map((f) => (
        <a key={f} href={mediaUrl.bulletin(id, f)} download class={compact ? '' : 'button'} data-testid={`bulletin-${f}`}>
          {f.toUpperCase()}
        </a>
      ))}
    </span>
  );
}

/** A paged list as a table: its column heads, the rows, then the list's footer (progress, error, more). */
export function PagedTable({ labels, list, testId, children }: { labels: MessageKey[]; list: CursorList<unknown>; testId: string; children: ComponentChildren }) {
  return (
    <>
      <div class="table-wrap">
        <table class="cmp-list" data-testid={testId}>
          <thead>
            <tr>
              {labels.map((k) => (
                <th key={k}>{t(k)}</th>
              ))}
            </tr>
          </thead>
          <tbody>{children}</tbody>
        </table>
      </div>
      <ListFooter list={list} />
    </>
  );
}

export const localeName = (locale: string) => (locale === 'en' ? t('bul.locale.en') : t('bul.locale.zh'));

export function BulletinsPage(_props: PageProps) {
  const list = useCursorList<BulletinSummary>('/api/bulletins', {}, 25);
  return (
    <Page title={t('nav.bulletins')}>
      <PagedTable labels={['bul.number', 'bul.language', 'bul.issuedAt', 'bul.issuedBy', 'bul.state', 'bul.check', 'common.download']} list={list} testId="bulletin-list">
        {list.items.map((b) => (
          <tr key={b.id} data-testid="bulletin-row" class={b.current ? '' : 'bul-replaced'}>
            <td>
              <strong>{b.number}</strong> <span class="muted">v{b.version}</span>
            </td>
            <td>{localeName(b.locale)}</td>
            <td class="nowrap">{dateTime(b.issuedAt)}</td>
            <td>{b.issuedBy}</td>
            <td>
              {b.current ? <span class="badge badge-pass">{t('bul.current')}</span> : <span class="badge">{t('bul.replaced')}</span>}
              {b.replaces ? <div class="muted">{t('bul.isCorrection')}</div> : null}
            </td>
            <td>
              <Link href={`/spot-checks/${b.spotCheckId}`}>{t('bul.openCheck')}</Link>
            </td>
            <td>
              <BulletinLinks id={b.id} />
            </td>
          </tr>
        ))}
      </PagedTable>
    </Page>
  );
}
