import type { PageProps } from '../routes';
import { Page } from '../ui';

export function AdminRetentionPage(_props: PageProps) {
  return <Page title="AdminRetentionPage">{null}</Page>;
}

export function AdminHoldsPage(_props: PageProps) {
  return <Page title="AdminHoldsPage">{null}</Page>;
}

