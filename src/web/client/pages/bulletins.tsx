import type { PageProps } from '../routes';
import { Page } from '../ui';

export function BulletinsPage(_props: PageProps) {
  return <Page title="BulletinsPage">{null}</Page>;
}

