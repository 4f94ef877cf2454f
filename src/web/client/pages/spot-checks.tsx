import type { PageProps } from '../routes';
import { Page } from '../ui';

export function SpotChecksPage(_props: PageProps) {
  return <Page title="SpotChecksPage">{null}</Page>;
}

