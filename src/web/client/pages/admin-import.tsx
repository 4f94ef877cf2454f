import { useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import type { PageProps } from '../routes';
import { Button, ErrorMessage, Field, useAction } from '../ui';
import { AdminPage } from '../admin-nav';
import { csvFileProblem, DIRECTORY_HEADER } from '../admin-import-file';

interface ImportResult {
  created: number;
  updated: number;
  errors: { line: number; code: string; detail: string }[];
}

function ImportOutcome({ result }: { result: ImportResult }) {
  return (
    <div class="card" data-testid="import-result">
      <h2>{t('admin.import.result')}</h2>
      <div class={result.errors.length ? 'msg msg-warn' : 'msg msg-ok'} role="status">
        {t('admin.import.counts', { created: result.created, updated: result.updated, errors: result.errors.length })}
      </div>
      {result.errors.length ? (
        <div class="table-wrap">
          <table data-testid="import-errors">
            <thead>
              <tr>
                <th class="num">{t('admin.import.line')}</th>
                <th>{t('admin.import.code')}</th>
                <th>{t('admin.import.detail')}</th>
              </tr>
            </thead>
            <tbody>
              {result.errors.map((e) => (
                <tr key={`${e.line}-${e.code}`} data-testid="import-error" data-line={e.line}>
                  <td class="num">{e.line}</td>
                  <td class="mono">{e.code}</td>
                  <td>{e.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

export function AdminImportPage(_props: PageProps) {
  const [file, setFile] = useState<File | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const action = useAction();

  const submit = async (e: Event) => {
    e.preventDefault();
    const found = csvFileProblem(file);
    setProblem(found ? t(found) : null);
    if (found || !file) return;
    setResult(null);
    // The bytes as they are: the server reads UTF-8 (with or without BOM) or GB18030 as Excel saves it.
    const out = await action.run(() => api.post<ImportResult>('/api/directory/import', file, 'text/csv'));
    if (out) setResult(out);
  };

  return (
    <AdminPage title={t('admin.import.title')}>
      <form class="card" onSubmit={submit} noValidate>
        <p>{t('admin.import.intro')}</p>
        <pre class="admin-csv-header">{DIRECTORY_HEADER}</pre>
        <ul class="muted admin-notes">
          <li>{t('admin.import.noteUnits')}</li>
          <li>{t('admin.import.noteFrom')}</li>
          <li>{t('admin.import.noteEncoding')}</li>
        </ul>
        <div class="row">
          <Field label={t('admin.import.file')} error={problem}>
            <input
              type="file"
              name="file"
              accept=".csv,text/csv"
              data-testid="import-file"
              onChange={(e) => {
                setFile(e.currentTarget.files?.[0] ?? null);
                setProblem(null);
              }}
            />
          </Field>
          <Button type="submit" class="primary" busy={action.busy} data-testid="import-submit">
            {t('admin.import.submit')}
          </Button>
        </div>
        <ErrorMessage error={action.error} />
      </form>
      {result ? <ImportOutcome result={result} /> : null}
    </AdminPage>
  );
}
