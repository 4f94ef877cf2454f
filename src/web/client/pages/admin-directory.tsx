// The directory's admin pages, one file each; routes.tsx imports them from here.
export { AdminUnitsPage } from './admin-units';
export { AdminOfficersPage } from './admin-officers';
export { AdminRecordersPage } from './admin-recorders';
export { AdminUsersPage } from './admin-users';
export { AdminImportPage } from './admin-import';
export { AdminStationsPage } from './admin-stations';
