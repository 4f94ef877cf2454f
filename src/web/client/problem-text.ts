import type common from './messages/common';
import problems from './messages/problems';

// What a failed request says to the person in front of the screen. Pure (the language and the lookup are
// passed in, and it takes the ApiError's fields, not api.ts) so that Jest checks it without a browser;
// ui.tsx's errorText calls it with the page's language.

export type Lang = keyof typeof problems;
type ProblemKey = keyof typeof problems.zh & string;
export type Say = (key: keyof typeof common.zh | ProblemKey, params?: Record<string, string | number>) => string;

function errorKind(status: number): keyof typeof common.zh {
  if (status === 400 || status === 422) return 'error.kind.input';
  if (status === 403) return 'error.kind.scope';
  if (status === 404 || status === 410) return 'error.kind.missing';
  if (status === 409) return 'error.kind.conflict';
  if (status === 503) return 'error.kind.unavailable';
  return 'error.generic';
}

const problemKey = (code: string): ProblemKey | null => {
  const key = `problem.${code}`;
  return Object.hasOwn(problems.zh, key) ? (key as ProblemKey) : null;
};

/** What an ApiError (api.ts) carries of the API's problem+json; status 0 is a request that got no answer. */
export interface Problem {
  status: number;
  code: string;
  detail: string;
}

export function problemText(err: Problem, lang: Lang, say: Say): string {
  if (err.status === 0) return say('error.network');
  if (err.status === 403 && err.code === 'forbidden') return say('error.forbidden');
  // The API's detail is English and names the exact thing at fault. A Chinese reader gets what the problem
  // means first and the detail after it; an English reader gets the detail with its kind in front, or the
  // meaning alone when there is no detail.
  const key = problemKey(err.code);
  if (key && lang === 'zh') return err.detail ? `${say(key)}（${err.detail}）` : say(key);
  if (key && !err.detail) return say(key);
  if (!err.detail) return `${say('error.generic')} (${err.status})`;
  return say('error.withDetail', { kind: say(errorKind(err.status)), detail: err.detail });
}
