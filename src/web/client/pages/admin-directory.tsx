import type { PageProps } from '../routes';
import { Page } from '../ui';

export function AdminUnitsPage(_props: PageProps) {
  return <Page title="AdminUnitsPage">{null}</Page>;
}

export function AdminOfficersPage(_props: PageProps) {
  return <Page title="AdminOfficersPage">{null}</Page>;
}

export function AdminRecordersPage(_props: PageProps) {
  return <Page title="AdminRecordersPage">{null}</Page>;
}

export function AdminUsersPage(_props: PageProps) {
  return <Page title="AdminUsersPage">{null}</Page>;
}

export function AdminImportPage(_props: PageProps) {
  return <Page title="AdminImportPage">{null}</Page>;
}

export function AdminStationsPage(_props: PageProps) {
  return <Page title="AdminStationsPage">{null}</Page>;
}

