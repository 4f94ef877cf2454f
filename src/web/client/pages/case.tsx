import type { PageProps } from '../routes';
import { Page } from '../ui';

export function CasePage(_props: PageProps) {
  return <Page title="CasePage">{null}</Page>;
}

