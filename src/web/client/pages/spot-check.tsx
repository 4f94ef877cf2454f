import type { PageProps } from '../routes';
import { Page } from '../ui';

export function SpotCheckPage(_props: PageProps) {
  return <Page title="SpotCheckPage">{null}</Page>;
}

