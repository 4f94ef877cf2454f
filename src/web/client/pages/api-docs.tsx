import { api } from '../api';
import { groupOperations, schemaBrief, type ApiOperation } from '../api-docs-model';
import { t } from '../i18n';
import { ErrorMessage, Loading, useAsync } from '../ui';
import { AdminPage } from '../admin-nav';

// The API as /api/openapi.json describes it, for the bureau's IT staff and integrators. Native <details>:
// nothing to script, so it works under the page's strict CSP like everything else.

const OPENAPI_URL = '/api/openapi.json';

function Operation({ op }: { op: ApiOperation }) {
  return (
    <details class="api-op card" data-testid="api-operation">
      <summary>
        <span class={`api-method api-${op.method}`}>{op.method.toUpperCase()}</span> <code>{op.path}</code> <span>{op.summary}</span>
      </summary>
      {op.description ? <p class="api-description" style={{ whiteSpace: 'pre-wrap' }}>
          {op.description}
        </p> : null}
      <p>
        {t('admin.api.permission')}: <code>{op.permission}</code>
      </p>
      {op.parameters.length ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t('admin.api.param')}</th>
                <th>{t('admin.api.in')}</th>
                <th>{t('admin.api.schema')}</th>
              </tr>
            </thead>
            <tbody>
              {op.parameters.map((p) => (
                <tr key={`${p.in}:${p.name}`}>
                  <td class="mono">
                    {p.name}
                    {p.required ? ' *' : ''}
                  </td>
                  <td>{p.in}</td>
                  <td>
                    {schemaBrief(p.schema)}
                    {p.description ? <div class="muted">{p.description}</div> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {op.body.map((b) => (
        <div key={b.type}>
          <p>
            {t(op.bodyRequired ? 'admin.api.body' : 'admin.api.bodyOptional')}: <code>{b.type}</code>
          </p>
          <pre class="api-schema" style={{ overflowX: 'auto' }}>{JSON.stringify(b.schema, null, 2)}</pre>
        </div>
      ))}
      <p>
        {t('admin.api.responses')}: {op.responses.map((r) => `${r.status}${r.types.length ? ` (${r.types.join(', ')})` : ''}`).join(' · ')}
      </p>
    </details>
  );
}

export function ApiDocsPage() {
  const doc = useAsync(() => api.get<Parameters<typeof groupOperations>[0]>(OPENAPI_URL), []);
  return (
    <AdminPage title={t('admin.api.title')}>
      <p class="muted">
        {t('admin.api.intro')} <a href={OPENAPI_URL}>{OPENAPI_URL}</a>
      </p>
      <ErrorMessage error={doc.error} />
      {doc.loading && !doc.data ? <Loading /> : null}
      {doc.data
        ? groupOperations(doc.data).map((tag) => (
            <section key={tag.name} data-testid="api-tag">
              <h2>{tag.name}</h2>
              {tag.description ? <p class="muted">{tag.description}</p> : null}
              {tag.operations.map((op) => (
                <Operation key={`${op.method} ${op.path}`} op={op} />
              ))}
            </section>
          ))
        : null}
    </AdminPage>
  );
}
