import { ROLES } from '../auth/roles';

export const USAGE = `usage: npm run cli -- <command>

  users list
  users add --username U --password P --role ROLE [--unit CODE] [--badge BADGE]
  users deactivate --username U    ends its sessions and revokes its tokens
  users activate --username U
  users update --username U [--role ROLE] [--unit CODE | --no-unit] [--badge BADGE | --no-badge]
  users password --username U --password P
  --password-stdin                 (users add, users password) instead of --password P: the first line of
                                   standard input, kept out of the shell's history and of \`ps\`
  tokens issue --username U        prints a token for a station or integration account (shown once)
  tokens revoke --username U       revokes every token of that account
  directory import FILE.csv        the bureau's spreadsheet (UTF-8 or GB18030)
  recordings reprocess ID...       processes recordings again from the probe on (new settings, newer ffmpeg)
  recordings reprocess --status S  ... every recording in status S (unplayable, ready, processing, received)
  retention run [--at DATE]        deletes footage expired at DATE (default now), as the daily run does
  retention run --dry-run [--at DATE]  ... only reports what that run would delete
  custody verify                   recomputes the custody log's hash chain; exit 1 if it is broken
  integrity audit                  re-hashes the daily job's share of the originals now; exit 1 on a failure
  integrity audit --all            ... every stored original (after a restore)
  integrity audit --limit N        ... the N longest unaudited
  cases export --case-no NO --out FILE.zip   writes the case's evidence package (on the custody record)
  migrate                          applies pending database migrations
  verify-export PACKAGE.zip        checks a case export offline (files, hashes, custody chain); no database needed
  help                             this text

exit status: 0 done, 1 failed or refused (the output says why), 2 wrong command line, 78 bad setting
roles: ${ROLES.join(', ')}`;
