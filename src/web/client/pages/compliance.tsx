import type { PageProps } from '../routes';
import { Page } from '../ui';

export function CompliancePage(_props: PageProps) {
  return <Page title="CompliancePage">{null}</Page>;
}

