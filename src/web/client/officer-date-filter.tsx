import { useState } from 'preact/hooks';
import { t } from './i18n';
import { setQuery } from './router';
import { dateRangeError, Field } from './ui';

/**
 * The optional date range of the officer's lists, kept in the address (a filtered list can be reloaded and
 * shared); checked before it is applied.
 */
export function DateRangeFilter({ from, to }: { from: string; to: string }) {
  const [values, setValues] = useState({ from, to });
  const [errors, setErrors] = useState<{ from?: string; to?: string }>({});
  const apply = (e: Event) => {
    e.preventDefault();
    const found = dateRangeError(values.from, values.to);
    setErrors(found);
    if (!found.from && !found.to) setQuery({ from: values.from, to: values.to });
  };
  const reset = () => {
    setValues({ from: '', to: '' });
    setErrors({});
    setQuery({});
  };
  return (
    <form class="row filter-bar" onSubmit={apply} noValidate data-testid="date-filter">
      <Field label={t('common.from')} error={errors.from}>
        <input type="date" name="from" value={values.from} onInput={(e) => setValues({ ...values, from: e.currentTarget.value })} />
      </Field>
      <Field label={t('common.to')} error={errors.to}>
        <input type="date" name="to" value={values.to} onInput={(e) => setValues({ ...values, to: e.currentTarget.value })} />
      </Field>
      <button type="submit" class="primary">
        {t('common.search')}
      </button>
      {from || to ? (
        <button type="button" onClick={reset}>
          {t('common.reset')}
        </button>
      ) : null}
    </form>
  );
}
