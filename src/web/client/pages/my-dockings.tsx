import type { PageProps } from '../routes';
import { Page } from '../ui';

export function MyDockingsPage(_props: PageProps) {
  return <Page title="MyDockingsPage">{null}</Page>;
}

