import type { PageProps } from '../routes';
import { Page } from '../ui';

export function CaseSearchPage(_props: PageProps) {
  return <Page title="CaseSearchPage">{null}</Page>;
}

