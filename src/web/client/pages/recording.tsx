import type { PageProps } from '../routes';
import { Page } from '../ui';

export function RecordingPage(_props: PageProps) {
  return <Page title="RecordingPage">{null}</Page>;
}

