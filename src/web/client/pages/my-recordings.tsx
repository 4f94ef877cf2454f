import type { PageProps } from '../routes';
import { Page } from '../ui';

export function MyRecordingsPage(_props: PageProps) {
  return <Page title="MyRecordingsPage">{null}</Page>;
}

