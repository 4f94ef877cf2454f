import type { PageProps } from '../routes';
import { Page } from '../ui';

export function RecordingsPage(_props: PageProps) {
  return <Page title="RecordingsPage">{null}</Page>;
}

