import { userInfo } from 'node:os';

/**
 * Who the custody log names for what the command line does: `cli:<the operating-system account>`. The
 * colon keeps it apart from every user of the system (usernames cannot hold one) and from `system`, the
 * automatic jobs; an account the OS cannot name is plain `cli`.
 */
export function cliActor(): string {
  try {
    const { username } = userInfo();
    return username ? `cli:${username}` : 'cli';
  } catch {
    return 'cli';
  }
}
